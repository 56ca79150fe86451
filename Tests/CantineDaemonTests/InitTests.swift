// Setting up a site from the command line: `init --site`, the site renamed while its
// database holds no activity, and the one line that says what to do once it does.

import CantineStore
import Foundation
import Testing

@Suite struct InitTests {
    @Test func aSiteIsNamedAtInitAndRenamedWhileItsDatabaseIsEmpty() throws {
        let dir = NSTemporaryDirectory() + "cantine-init-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/cantine.toml"
        let env = ["CANTINE_CONFIG": config]
        let (bad, _, badErr) = try cantine(["init", "--site", "Lyon!"], environment: env)
        #expect(bad == 1 && badErr == "cantine: --site 'Lyon!': use 1–64 of a-z 0-9 - _ (and not 'network')\n")
        let (made, madeOut, madeErr) = try cantine(
            ["init", "--simulated", "--site", "lyon", "--name", "La Cantine Lyon"], environment: env)
        #expect(made == 0, "\(madeErr)")
        #expect(madeOut.hasPrefix("wrote \(config)\ncreated \(dir)/cantine.db"))
        let text = try String(contentsOfFile: config, encoding: .utf8)
        #expect(text.contains("id = \"lyon\"") && text.contains("name = \"La Cantine Lyon\""))
        let (doctor, doctorOut, _) = try cantine(["doctor"], environment: env)
        #expect(doctorOut.contains("site lyon"), "\(doctor) \(doctorOut)")

        // The site is renamed in the config: the database holds no activity, init makes it anew.
        try text.replacingOccurrences(of: "id = \"lyon\"", with: "id = \"lyon-2\"").write(
            toFile: config, atomically: true, encoding: .utf8)
        let (_, before, _) = try cantine(["doctor"], environment: env)
        #expect(before.contains("it holds no activity yet: `cantine init` makes it 'lyon-2''s"))
        let (renamed, renamedOut, renamedErr) = try cantine(["init"], environment: env)
        #expect(renamed == 0, "\(renamedErr)")
        #expect(
            renamedOut.contains(
                "\(dir)/cantine.db held site 'lyon' and no activity: kept as \(dir)/cantine.db.lyon.bak, made anew for 'lyon-2'"
            ))
        #expect(FileManager.default.fileExists(atPath: dir + "/cantine.db.lyon.bak"))
        let (added, _, _) = try cantine(["members", "add", "Ada Lovelace", "--id", "m-ada"], environment: env)
        #expect(added == 0)

        // Never from under a running daemon (it holds the database's lock).
        try text.replacingOccurrences(of: "id = \"lyon\"", with: "id = \"lyon-9\"").write(
            toFile: config, atomically: true, encoding: .utf8)
        do {
            let lock = try ProcessLock(databasePath: dir + "/cantine.db")
            let (busy, _, busyErr) = try cantine(["init"], environment: env)
            #expect(
                busy == 1
                    && busyErr
                        == "cantine: \(dir)/cantine.db is in use (a daemon is running on it?): stop it first; nothing was changed\n"
            )
            lock.release()
        }

        // With a member in it, the database is the site's history: never set aside.
        try text.replacingOccurrences(of: "id = \"lyon\"", with: "id = \"lyon-3\"").write(
            toFile: config, atomically: true, encoding: .utf8)
        let (refused, _, refusedErr) = try cantine(["init"], environment: env)
        #expect(
            refused == 1
                && refusedErr
                    == "cantine: \(dir)/cantine.db holds site 'lyon-2' with its history, the config says site.id = \"lyon-3\": set site.id back to \"lyon-2\", or give the new site its own database.path\n"
        )
        let (_, after, _) = try cantine(["doctor"], environment: env)
        #expect(after.contains("database belongs to site 'lyon-2' with its history, config says 'lyon-3'"))
    }
}

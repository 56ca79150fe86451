// The network for the daemon: `[network]` turned into keys and settings, and the network
// service built on an opened site (badge tokens from the network's shared secret).

import CantineConfig
import CantineCore
import CantineMQTT
import CantineNetwork
import CantineProtocol
import CantineSite
import CantineStore
import CantineWeb
import Foundation
import Logging

extension Settings.Network {
    /// This site's keys: its private key from `key_file`, every site's public key.
    public func keys(site: SiteID) throws(DaemonError) -> NetworkKeys {
        guard let text = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
            throw DaemonError("network.key_file: cannot read \(keyFile) (permissions?)")
        }
        do {
            let keys = try NetworkKeys(site: site, privateKey: text, peers: sites)
            if let listed = sites[site.rawValue], listed != keys.publicKey {
                throw DaemonError(
                    "network.sites.\(site): this is not the public key of \(keyFile) (\(keys.publicKey)): fix one of them"
                )
            }
            return keys
        } catch let error as NetworkRejection {
            throw DaemonError("network.key_file \(keyFile): \(error.reason)")
        } catch let error as DaemonError {
            throw error
        } catch {
            throw DaemonError("network: \(error)")
        }
    }

    /// The service's settings for `site`.
    public func settings(site: SiteID, name: String) throws(DaemonError) -> NetworkService.Settings {
        NetworkService.Settings(
            keys: try keys(site: site), siteName: name, ttlSeconds: visitorTTL.micros / 1_000_000,
            summaryEvery: .microseconds(summaryEvery.micros), staleAfter: staleAfter, publishMembers: publishMembers)
    }
}

extension NetworkService {
    /// The network service of a daemon, on the broker of `[mqtt]`.
    public convenience init(
        settings: CantineConfig.Settings, network: CantineConfig.Settings.Network, runtime: Site, logger: Logger
    )
        throws(DaemonError)
    {
        let tokenizer = CredentialTokenizer(secretHex: network.credentialSecret)
        do {
            try self.init(
                mqtt: MQTTSettings(settings),
                settings: try network.settings(site: settings.site.id, name: settings.site.name),
                engine: runtime.engine, bus: runtime.bus, store: runtime.store, logger: logger,
                durable: { [journal = runtime.journal] in await journal.waitDurable(through: $0) },
                networkToken: { record in
                    guard let format = WiegandFormat(rawValue: record.format) else { return nil }
                    return tokenizer.token(
                        for: CardRead(
                            format: format, facility: UInt32(record.facility), card: UInt64(record.cardNumber)))
                })
        } catch let error as MQTTError {
            throw DaemonError(error.message)
        } catch let error as DaemonError {
            throw error
        } catch {
            throw DaemonError("network: \(error)")
        }
    }
}

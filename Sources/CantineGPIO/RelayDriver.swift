// The door strike relay. Knows which level means locked (fail-secure vs fail-safe), drives
// the line, and re-locks by itself when an unlock pulse ends — capped at Door.maxPulse
// whatever it is asked — on a monotonic deadline of its own, so a lost timer or a stuck
// daemon task can never leave a door open.

import CantineCore
import Synchronization

/// Drives one door's relay line.
public final class RelayDriver: Sendable {
    /// Runs `body` after `delay` on a monotonic clock (DispatchQueue in production,
    /// a manual scheduler in tests).
    public typealias Deadline = @Sendable (_ delay: Span, _ body: @escaping @Sendable () -> Void) -> Void

    public let door: DoorID
    let line: any OutputLine
    let failSecure: Bool
    let deadline: Deadline
    let onError: @Sendable (GPIOError) -> Void
    let generation = Mutex<Int>(0)

    /// Logical line level that locks the door: fail-secure strikes unlock when energized,
    /// fail-safe (maglock) doors lock when energized.
    public static func lockedLevel(failSecure: Bool) -> Bool { !failSecure }

    public init(
        door: DoorID, line: any OutputLine, failSecure: Bool, deadline: @escaping Deadline,
        onError: @escaping @Sendable (GPIOError) -> Void = { _ in }
    ) {
        self.door = door
        self.line = line
        self.failSecure = failSecure
        self.deadline = deadline
        self.onError = onError
    }

    /// Carries out a relay command from the reducer.
    public func apply(_ command: RelayCommand) {
        switch command {
        case .lock:
            generation.withLock { $0 += 1 }
            drive(locked: true)
        case .unlock(let pulse):
            let pulse = min(pulse, Door.maxPulse)
            let gen = generation.withLock { g -> Int in
                g += 1
                return g
            }
            drive(locked: false)
            deadline(pulse) { [self] in
                if generation.withLock({ $0 == gen }) { drive(locked: true) }
            }
        }
    }

    /// Drives the locked level now (safe boot, shutdown).
    public func lockNow() {
        generation.withLock { $0 += 1 }
        drive(locked: true)
    }

    private func drive(locked: Bool) {
        let level = locked ? Self.lockedLevel(failSecure: failSecure) : !Self.lockedLevel(failSecure: failSecure)
        do throws(GPIOError) {
            try line.set(active: level)
        } catch {
            onError(error)
        }
    }
}

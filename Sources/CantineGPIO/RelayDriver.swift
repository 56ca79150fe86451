// The door strike relay. Knows which level means locked (fail-secure vs fail-safe), drives
// the line, and re-locks by itself when an unlock pulse ends — capped at Door.maxPulse
// whatever it is asked — on a monotonic deadline of its own, so a lost timer or a stuck
// daemon task can never leave a door open.

import CantineCore
import Synchronization

/// Drives one door's relay line.
public final class RelayDriver: Sendable {
    /// Runs `body` after `delay` on a monotonic clock (DispatchQueue in production,
    /// a manual scheduler in tests). It is called under the driver's lock and must not run
    /// `body` before returning; likewise `onError` must not call back into the driver.
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

    /// Carries out a relay command from the reducer. The line is driven inside the generation
    /// lock, and an unlock's re-lock is armed before the relay moves: a `lockNow()` from
    /// another thread (shutdown) lands wholly before or wholly after, never in between.
    public func apply(_ command: RelayCommand) {
        switch command {
        case .lock:
            lockNow()
        case .unlock(let pulse):
            let pulse = min(pulse, Door.maxPulse)
            generation.withLock { g in
                g += 1
                let gen = g
                deadline(pulse) { [self] in
                    generation.withLock { if $0 == gen { drive(locked: true) } }
                }
                drive(locked: false)
            }
        }
    }

    /// Drives the locked level now (safe boot, shutdown), cancelling a pulse's re-lock.
    public func lockNow() {
        generation.withLock { g in
            g += 1
            drive(locked: true)
        }
    }

    /// Requests the line again at its locked level after its chip came back, cancelling any
    /// pulse; false (reported through `onError`) while the chip is still gone.
    @discardableResult
    public func reclaim() -> Bool {
        generation.withLock { g in
            do throws(GPIOError) {
                try line.reclaim(initiallyActive: Self.lockedLevel(failSecure: failSecure))
                g += 1  // locked now: a pending pulse's re-lock has nothing left to do
                return true
            } catch {
                onError(error)
                return false
            }
        }
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

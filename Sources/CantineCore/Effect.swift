// Effects: what the reducer asks the edges to carry out. The reducer only describes them.

/// What to do with a door's relay.
public enum RelayCommand: Equatable, Sendable {
    case lock
    /// Unlock for at most the given pulse (the edge re-locks by itself when it elapses).
    case unlock(Span)
}

/// A notice for live consumers (MQTT, SSE, logs); consumers read details from the state.
public enum Notice: Equatable, Sendable {
    case access(AccessRecord)
    case doorChanged(DoorID)
    case deskChanged(DeskID)
    /// A room's sensed occupancy changed.
    case roomChanged(RoomID)
    case occupancyChanged
    case programChanged
    case bookingsChanged
    case membersChanged
    /// Visitors' records, or what other sites of the network say, changed.
    case networkChanged
    /// A door alarm was raised (forced, held open, repeated denials).
    case alarm(DoorID, DoorAlarm)
    /// A door alarm cleared (the door closed, the reader went quiet).
    case alarmCleared(DoorID, DoorAlarm)
    /// A reconciliation finding was raised, ended or resolved.
    case finding(FindingID)
}

/// An effect produced by the reducer.
public enum Effect: Equatable, Sendable {
    case relay(DoorID, RelayCommand)
    /// Feed `timerFired(id)` back as an event at `at`.
    case schedule(TimerID, at: Instant)
    case notify(Notice)
}

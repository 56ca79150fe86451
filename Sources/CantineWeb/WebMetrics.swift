// /metrics for Prometheus (swift-prometheus): the counters and histograms the daemon records
// through swift-metrics (access decisions by reason, decision latency, sensor reports accepted
// and rejected, …) plus gauges read at scrape time from the state and the components (desks
// by floor status, people present, MQTT connection and outbox depth, SSE clients).

import CantineCore
import CantineSite
import CoreMetrics
import Foundation
import Prometheus

/// The Prometheus registry the daemon's metrics go to, and the scrape.
public final class WebMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// - Parameter registry: the registry swift-metrics was bootstrapped with (the daemon's),
    ///   or a fresh one.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// The process's registry, bootstrapped as swift-metrics' backend on first use (once per
    /// process: the daemon touches it before opening the site, so every counter lands here).
    public static let process: WebMetrics = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["cantine_access_decision_seconds"] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(50),
        ]
        MetricsSystem.bootstrap(factory)
        return WebMetrics(registry: registry)
    }()

    /// Sets the scrape-time gauges, then renders everything in the text exposition format.
    func scrape(state: State, now: Instant, components: [ComponentHealth], sse: [String: Int]) -> String {
        var byStatus: [String: Int] = ["free": 0, "booked": 0, "occupied": 0, "occupied_unbooked": 0, "unknown": 0]
        for desk in DeskView.all(state, now: now, names: { _ in nil }) { byStatus[desk.status, default: 0] += 1 }
        for (status, count) in byStatus {
            gauge("cantine_desks", "Desks by floor status", [("status", status)]).set(to: Double(count))
        }
        let summary = state.occupancy(at: now)
        gauge("cantine_people_present", "People present (best estimate)").set(to: Double(summary.peoplePresent))
        gauge("cantine_capacity", "Fire-safety capacity of the site").set(to: Double(summary.capacity))
        let alarms = state.doors.values.reduce(0) { $0 + $1.alarms.count }
        gauge("cantine_door_alarms", "Door alarms raised now").set(to: Double(alarms))
        gauge("cantine_findings_open", "Reconciliation findings awaiting staff")
            .set(to: Double(state.findings.values.filter(\.open).count))
        for (stream, count) in sse {
            gauge("cantine_sse_clients", "Open server-sent event streams", [("stream", stream)]).set(to: Double(count))
        }
        for c in components {
            gauge("cantine_component_up", "1 when the component is ok, 0.5 degraded, 0 down", [("component", c.name)])
                .set(to: c.status == "ok" ? 1 : c.status == "degraded" ? 0.5 : 0)
            for (key, value) in c.values {
                gauge("cantine_\(c.name)_\(key)", "\(key) of \(c.name)").set(to: value)
            }
        }
        return registry.emitToString()
    }

    func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Prometheus.Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
    }
}

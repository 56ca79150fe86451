// The frab schedule.xml, the format most schedule consumers read (Giggity, c3nav,
// info-beamer, the VOC's tooling): the same program as the schedule.json export, laid out as
// frab's XSD (`schedule.xml.xsd`, c3voc and pretalx's copies) requires.

import CantineCore
import Foundation

extension FrabSchedule {
    /// The program over `days` as frab's schedule.xml: each session once, on the day it starts.
    public static func exportXML(_ sessions: [ProgramSession], days: [LocalDate], site: Site) -> String {
        let program = Program(sessions, days: days, site: site)
        var x = XMLText()
        x.line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        x.open("schedule")
        x.line("<generator name=\"cantine\" version=\"\(program.generator)\"/>")
        x.element("version", program.version)
        x.open("conference")
        x.element("acronym", program.acronym)
        x.element("title", site.name)
        if let first = program.days.first, let last = program.days.last {
            x.element("start", "\(first.date)")
            x.element("end", "\(last.date)")
        }
        x.element("days", "\(program.days.count)")
        x.element("timeslot_duration", "00:15")
        x.element("base_url", site.baseURL + "/program/")
        if let zone = program.zoneName { x.element("time_zone_name", zone) }
        x.close("conference")
        for day in program.days {
            x.open("day", ["index": "\(day.index)", "date": "\(day.date)", "start": day.start, "end": day.end])
            for room in day.rooms {
                guard !room.events.isEmpty else {
                    x.line("<room name=\"\(XMLText.escape(room.name, attribute: true))\"/>")
                    continue
                }
                x.open("room", ["name": room.name])
                for e in room.events {
                    x.open("event", ["id": "\(e.id)", "guid": e.guid])
                    x.element("date", e.date)
                    x.element("start", e.start)
                    x.element("duration", e.duration)
                    x.element("room", e.room)
                    x.element("slug", e.slug)
                    x.element("url", e.url)
                    x.element("title", e.title)
                    x.element("subtitle", e.subtitle)
                    x.element("track", e.track ?? "")
                    x.element("type", e.type)
                    x.element("language", e.language)
                    x.element("abstract", e.abstract)
                    x.element("description", e.description)
                    x.open("persons")
                    for p in e.persons {
                        x.element("person", p.name, ["id": "\(p.id ?? personID(p.name))"])
                    }
                    x.close("persons")
                    x.open("links")
                    for l in e.links { x.element("link", l.title, ["href": l.url]) }
                    x.close("links")
                    x.open("attachments")
                    for a in e.attachments { x.element("attachment", a.title, ["href": a.url]) }
                    x.close("attachments")
                    x.close("event")
                }
                x.close("room")
            }
            x.close("day")
        }
        x.close("schedule")
        return x.text
    }
}

/// An indented XML document written element by element, text and attributes escaped.
struct XMLText {
    private(set) var text = ""
    private var depth = 0

    /// `&`, `<`, `>`, quotes, and the control characters XML 1.0 does not allow, dropped. A
    /// carriage return (and, in an attribute, a newline or tab) as a character reference:
    /// parsers would normalise them away.
    static func escape(_ s: String, attribute: Bool = false) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\r": out += "&#13;"
            case "\n" where attribute: out += "&#10;"
            case "\t" where attribute: out += "&#9;"
            case "\n", "\t": out.unicodeScalars.append(u)
            default: if u.value >= 0x20 && u.value != 0xFFFE && u.value != 0xFFFF { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    private static func attributes(_ a: KeyValuePairs<String, String>) -> String {
        a.map { " \($0.key)=\"\(escape($0.value, attribute: true))\"" }.joined()
    }

    mutating func line(_ s: String) { text += String(repeating: "  ", count: depth) + s + "\n" }

    mutating func open(_ name: String, _ a: KeyValuePairs<String, String> = [:]) {
        line("<\(name)\(Self.attributes(a))>")
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        line("</\(name)>")
    }

    mutating func element(_ name: String, _ value: String, _ a: KeyValuePairs<String, String> = [:]) {
        line("<\(name)\(Self.attributes(a))>\(Self.escape(value))</\(name)>")
    }
}

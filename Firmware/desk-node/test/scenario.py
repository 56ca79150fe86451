#!/usr/bin/env python3
"""Boots the desk-node image under qemu-system-arm (mps2-an385) and plays a scripted day on its
UARTs: this script is the ESP-AT Wi-Fi module (caught inside an AT+MQTTPUBRAW data phase at
boot; it answers `busy p...` while it works, takes 4.5 s over one command so its OK comes
after the node gave up, answers one command `busy`, refuses one connection and takes 12 s
over the next, drops the broker, then falls silent until the node pulses its reset line), the
LD2410 radar (it answers configuration frames with ACKs, all but the first; a trace of target
frames with UART noise and corrupt frames mixed in) and the pins (the radar's OUT pin; a fault
and a hang drilled through the control UART, each to be rebooted by the watchdog). Each
expectation on the node's traffic is one check. Prints one line per check and exits 1 if any
failed. With REPORTS, the payloads of every report the node published are written there, one
per line (Firmware/test has the daemon decode them).

  scenario.py IMAGE.elf PROVISION_TOOL [REPORTS]
"""
import json, os, re, socket, struct, subprocess, sys, tempfile, threading, time, zlib

WAIT = 25.0  # seconds an expectation may take (generous: CI machines are slow and shared)
results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok)))
    print(f"  {'ok  ' if ok else 'FAIL'} {name}" + (f" ({detail})" if detail and not ok else ""), flush=True)
    return ok


class Port:
    """One emulated UART, as a unix socket QEMU connects to."""

    def __init__(self, path):
        self.path = path
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        self.conn = None
        self.lock = threading.Lock()

    def accept(self):
        self.server.settimeout(20)
        self.conn, _ = self.server.accept()
        self.server.close()

    def send(self, data):
        with self.lock:
            try:
                self.conn.sendall(data)
            except OSError:
                pass

    def recv(self):
        try:
            return self.conn.recv(4096)
        except OSError:
            return b""


class Modem(threading.Thread):
    """An ESP-AT module: echo until ATE0, OK/ERROR, +MQTTCONNECTED, the PUBRAW prompt. While it
    works on a slow command (`slow`: prefix -> seconds, once each) it answers any other command
    `busy p...` and carries nothing out; `busy_once` prefixes are answered `busy p...` once."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.cond = threading.Condition()
        self.log = []  # (time, "cmd", text) or (time, "pub", (topic, payload, qos, retain))
        self.echo = True
        self.connected = False
        self.silent = False
        self.refuse = set()  # command prefixes answered ERROR once
        self.slow = {}  # command prefix -> seconds its answer takes, once
        self.busy_once = set()  # command prefixes answered "busy p..." once
        self.working = None  # until when a slow command keeps the module busy
        self.generation = 0  # counts resets: a slow answer never outlives one
        self.buffer = b""
        # Caught by the node's reset inside a PUBRAW data phase, 4 bytes of payload still to
        # come: a node that sends "AT\r\n" before resetting the module publishes it.
        self.raw = ("cantine/paris/desks/j01/report", 4, 1, 0)

    def record(self, kind, value):
        with self.cond:
            self.log.append((time.monotonic(), kind, value))
            self.cond.notify_all()

    def wait(self, predicate, start=0, timeout=WAIT):
        """The first log entry from index `start` matching predicate, and its index."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.log)):
                    if predicate(self.log[i]):
                        return i, self.log[i]
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, None
                self.cond.wait(left)

    def reset(self):
        """The node pulsed the module's EN line: it reboots and says ready."""
        self.echo, self.connected, self.silent, self.raw, self.buffer = True, False, False, None, b""
        self.working = None
        self.generation += 1
        self.record("reset", None)
        self.port.send(b"\r\nets Jan  8 2013,rst cause:2, boot mode:(3,7)\r\n\r\nready\r\n")

    def drop_broker(self):
        self.connected = False
        self.port.send(b"+MQTTDISCONNECTED:0\r\n")

    def run(self):
        while True:
            data = self.port.recv()
            if not data:
                return
            self.buffer += data
            self.drain()

    def drain(self):
        while True:
            if self.raw:
                topic, length, qos, retain = self.raw
                if len(self.buffer) < length:
                    return
                payload, self.buffer = self.buffer[:length], self.buffer[length:]
                self.raw = None
                self.record("pub", (topic, payload.decode(errors="replace"), qos, retain))
                self.port.send(b"\r\n+MQTTPUB:OK\r\n")
                continue
            if b"\r\n" not in self.buffer:
                return
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            text = line.decode(errors="replace")
            if self.silent:
                self.record("cmd", text)
                continue
            if self.echo:
                self.port.send(line + b"\r\n")
            self.record("cmd", text)
            once = next((p for p in self.busy_once if text.startswith(p)), None)
            if once or (self.working and time.monotonic() < self.working):
                # Not carried out: the node must ask again, and nothing else first.
                self.busy_once.discard(once)
                self.record("busy", text)
                self.port.send(b"busy p...\r\n")
                continue
            for prefix, seconds in list(self.slow.items()):
                if text.startswith(prefix):
                    del self.slow[prefix]
                    self.working = time.monotonic() + seconds
                    threading.Timer(seconds, self.late, (text, self.generation)).start()
                    break
            else:
                self.answer(text)

    def late(self, text, generation):
        if generation == self.generation:
            self.answer(text)

    def answer(self, text):
        send = self.port.send
        for prefix in list(self.refuse):
            if text.startswith(prefix):
                self.refuse.discard(prefix)
                send(b"\r\nERROR\r\n")
                return
        if text in ("AT", "AT+CWMODE=1") or text.startswith(("AT+MQTTUSERCFG=", "AT+MQTTCONNCFG=")):
            send(b"\r\nOK\r\n")
        elif text == "ATE0":
            self.echo = False
            send(b"\r\nOK\r\n")
        elif text.startswith("AT+CWJAP="):
            send(b"WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n")
        elif text == "AT+MQTTCLEAN=0":
            send(b"\r\nOK\r\n" if self.connected else b"\r\nERROR\r\n")
            self.connected = False
        elif text.startswith("AT+MQTTCONN="):
            self.connected = True
            send(b'+MQTTCONNECTED:0,1,"broker","1883","",0\r\n\r\nOK\r\n')
        elif m := re.fullmatch(r'AT\+MQTTPUBRAW=0,"([^"]+)",(\d+),(\d),(\d)', text):
            if not self.connected:
                send(b"\r\nERROR\r\n")
                return
            self.raw = (m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)))
            send(b"\r\nOK\r\n\r\n>")
        else:
            send(b"\r\nERROR\r\n")


def ld2410_frame(state, distance):
    """A basic-mode target report."""
    data = bytes([0x02, 0xAA, state]) + struct.pack("<HBHBH", distance, 60, distance, 55, distance) + b"\x55\x00"
    return b"\xf4\xf3\xf2\xf1" + struct.pack("<H", len(data)) + data + b"\xf8\xf7\xf6\xf5"


class Radar(threading.Thread):
    """Sends the current target every 50 ms; None sends nothing (a silent UART). Reads the
    configuration frames the node sends (header FD FC FB FA, length, command word, value,
    footer 04 03 02 01) and acknowledges each (command | 0x0100, status 0), but the first one
    (`drop_first`: a lost ACK); the enable ACK carries protocol version 1 and buffer size 64.
    It keeps its settings as the real one does (factory: gates 8/8, 5 s): "read parameters"
    (0x0061) answers them, "set" (0x0060) changes them."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.target = (0, 0)
        self.noise = False
        self.stop = False
        self.commands = []  # (time, command word, value bytes)
        self.drop_first = True
        self.settings = (8, 8, 5)  # farthest moving gate, still gate, no-one seconds
        threading.Thread(target=self.listen, daemon=True).start()

    def listen(self):
        data = b""
        while True:
            chunk = self.port.recv()
            if not chunk:
                return
            data += chunk
            while True:
                start = data.find(b"\xfd\xfc\xfb\xfa")
                if start < 0 or len(data) < start + 6:
                    break
                length = struct.unpack_from("<H", data, start + 4)[0]
                end = start + 6 + length + 4
                if len(data) < end:
                    break
                body, footer, data = data[start + 6:end - 4], data[end - 4:end], data[end:]
                if footer != b"\x04\x03\x02\x01" or len(body) < 2:
                    continue
                word = struct.unpack_from("<H", body)[0]
                self.commands.append((time.monotonic(), word, body[2:]))
                if self.drop_first:
                    self.drop_first = False
                    continue
                extra = b""
                if word == 0x00FF:
                    extra = b"\x01\x00\x40\x00"
                elif word == 0x0061:
                    moving, still, seconds = self.settings
                    extra = bytes([0xAA, 8, moving, still]) + bytes([20] * 18) + struct.pack("<H", seconds)
                elif word == 0x0060 and len(body) >= 20:
                    self.settings = (body[4], body[10], body[16])
                reply = struct.pack("<HH", word | 0x0100, 0) + extra
                self.port.send(b"\xfd\xfc\xfb\xfa" + struct.pack("<H", len(reply)) + reply + b"\x04\x03\x02\x01")

    def run(self):
        while not self.stop:
            target = self.target
            if target is not None:
                frame = ld2410_frame(*target)
                if self.noise:
                    # Line noise, a truncated frame, a frame with a bad footer, a bad length.
                    broken = bytearray(frame)
                    broken[-1] ^= 0xFF
                    frame = b"\x00\xf4\x13\xfd\xfc" + frame[:9] + bytes(broken) + b"\xf4\xf3\xf2\xf1\xff\x7f" + frame
                self.port.send(frame)
            time.sleep(0.05)


def payload(entry):
    """A published payload as JSON; {} when it is not (a check fails, the script goes on)."""
    try:
        body = json.loads(entry[2][1])
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def reports(modem, start=0):
    return [(i, e) for i, e in enumerate(modem.log) if i >= start and e[1] == "pub" and e[2][0].endswith("/report")]


def is_report(occupied=None, distance="any"):
    def predicate(entry):
        if entry[1] != "pub" or not entry[2][0].endswith("/report"):
            return False
        body = payload(entry)
        if not body:
            return False
        if occupied is not None and body.get("occupied") is not occupied:
            return False
        if distance is None and "distance_cm" in body:
            return False
        if distance not in ("any", None) and body.get("distance_cm") != distance:
            return False
        return True
    return predicate


def is_cmd(prefix):
    return lambda e: e[1] == "cmd" and e[2].startswith(prefix)


def boot(image, provision, workdir):
    """Starts QEMU with the UARTs on sockets; returns (process, modem, radar, control, console path)."""
    ports = [Port(os.path.join(workdir, n + ".sock")) for n in ("modem", "radar", "control")]
    console = os.path.join(workdir, "console.log")
    args = ["qemu-system-arm", "-M", "mps2-an385", "-nographic", "-monitor", "none",
            "-semihosting-config", "enable=on,target=native", "-kernel", image]
    if provision:
        args += ["-device", f"loader,file={provision},addr=0x003FF000,force-raw=on"]
    for p in ports:
        args += ["-serial", f"unix:{p.path}"]
    args += ["-serial", f"file:{console}"]
    qemu = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for p in ports:
            p.accept()
    except OSError:
        qemu.kill()
        output = qemu.communicate()[0].decode(errors="replace").strip().splitlines()
        sys.exit(f"scenario: qemu-system-arm did not start: {output[:1]}")
    return qemu, ports, console


def finish(qemu, control, timeout=10):
    control.send(b"Q")
    try:
        return qemu.wait(timeout)
    except subprocess.TimeoutExpired:
        qemu.kill()
        return None


def day(image, tool, workdir):
    prov = os.path.join(workdir, "prov.bin")
    subprocess.run([tool, "--site", "paris", "--desk", "j01", "--node", "node-j01", "--wifi-ssid", "Cantine",
                    "--wifi-password", 'pa"ss,w', "--broker-host", "127.0.0.1", "--mqtt-user", "node-j01",
                    "--mqtt-password", "s3cret", "--occupy-after-ms", "300", "--vacate-after-ms", "600",
                    "--heartbeat-ms", "3000", "--out", prov], check=True)
    qemu, (mport, rport, control), console = boot(image, prov, workdir)
    modem, radar = Modem(mport), Radar(rport)
    modem.refuse.add("AT+MQTTCONN=")
    modem.slow["AT+CWMODE=1"] = 4.5  # answered after the node's 2 s and its 1 s backoff: a late OK
    modem.busy_once.add("AT+MQTTUSERCFG=")
    threading.Thread(target=lambda: [modem.reset() for b in iter(control.recv, b"") if b"R" in b],
                     daemon=True).start()
    modem.start()
    radar.start()
    try:
        first_cmd = modem.wait(lambda e: e[1] == "cmd")[0]
        check("boot: the module's EN is pulsed before any byte (caught mid-PUBRAW, it publishes nothing)",
              modem.log and modem.log[0][1] == "reset" and first_cmd is not None
              and modem.log[first_cmd][2] == "AT" and not any(e[1] == "pub" for e in modem.log[:first_cmd]),
              [e[1:] for e in modem.log[:4]])
        i, e = modem.wait(is_cmd("AT+CWJAP="))
        cmds = [e for e in modem.log[:i or 0] if e[1] == "cmd"]
        modes = [n for n, e in enumerate(cmds) if e[2] == "AT+CWMODE=1"]
        between = cmds[modes[0] + 1:modes[1]] if len(modes) > 1 else []
        late = cmds[modes[0]][0] + 4.5 if modes else 0  # when CWMODE's own OK came
        echo_off = next((n for n, e in enumerate(between) if e[2] == "ATE0"), len(between))
        check("CWMODE's OK after the timeout is not taken for the next command: an AT answered after it, then ATE0",
              len(modes) == 2 and {e[2] for e in between} == {"AT", "ATE0"}
              and any(e[2] == "AT" and e[0] > late for e in between[:echo_off]), [e[2] for e in between])
        check("joins Wi-Fi with the provisioned SSID and password, escaped for AT",
              e and e[2] == 'AT+CWJAP="Cantine","pa\\"ss\\,w"', e and e[2])
        i, e = modem.wait(is_cmd("AT+MQTTUSERCFG="))
        check("MQTT client id and credentials from provisioning",
              e and e[2] == 'AT+MQTTUSERCFG=0,1,"node-j01","node-j01","s3cret",0,0,""', e and e[2])
        i, e = modem.wait(is_cmd("AT+MQTTCONNCFG="))
        check("last will: nodes/<node>/status offline, QoS 1, retained",
              e and e[2] == 'AT+MQTTCONNCFG=0,60,0,"cantine/paris/nodes/node-j01/status","offline",1,1', e and e[2])
        i1, first = modem.wait(is_cmd("AT+MQTTCONN="))
        modem.slow["AT+MQTTCONN="] = 12  # the next attempt: a broker 12 s away
        i2, second = modem.wait(is_cmd("AT+MQTTCONN="), start=(i1 or 0) + 1)
        retried = first and second and second[0] - first[0] >= 0.9
        restarted = first and second and any(e[2] == "AT" for e in modem.log[i1:i2] if e[1] == "cmd")
        check("a refused connection (ERROR) is retried after a backoff, from the start", retried and restarted,
              f"gap {second[0] - first[0]:.2f}s" if first and second else "no retry")
        i, e = modem.wait(lambda e: e[1] == "pub" and e[2][0].endswith("/status"), timeout=WAIT + 12)
        after = [x[2] for x in modem.log[(i2 or 0) + 1:i or 0] if x[1] == "cmd"]
        check("a slow AT+MQTTCONN (12 s) is waited for: connected on that attempt",
              e is not None and after and all(c.startswith("AT+MQTTPUBRAW") for c in after), after)
        cmds = [x for x in modem.log[:i or 0] if x[1] in ("cmd", "busy")]
        busy = [n for n, x in enumerate(cmds) if x[1] == "busy"]
        again = [next((y[2] for y in cmds[n + 1:] if y[1] == "cmd"), None) == cmds[n][2] for n in busy]
        check("a command answered busy p... is asked again before anything else",
              len(busy) >= 2 and all(again), [(cmds[n][2], ok) for n, ok in zip(busy, again)])
        check("radar configured at boot: enable again after the lost ACK, read, max gate 2 and 5 s, end",
              [c[1] for c in radar.commands[:5]] == [0x00FF, 0x00FF, 0x0061, 0x0060, 0x00FE]
              and radar.commands[1][0] - radar.commands[0][0] >= 0.9
              and radar.commands[3][2] == bytes.fromhex("000002000000010002000000020005000000")
              and radar.settings == (2, 2, 5), [(hex(c[1]), c[2].hex()) for c in radar.commands[:5]])
        check("birth: status online, QoS 1, retained",
              e and e[2] == ("cantine/paris/nodes/node-j01/status", "online", 1, 1), e and e[2])
        i, e = modem.wait(is_report(occupied=False))
        ok = False
        if e:
            body = payload(e)
            ok = body and (e[2][0] == "cantine/paris/desks/j01/report" and e[2][2:] == (1, 0) and body["seq"] == 1
                  and body["fw"] == "1.0.0" and list(body)[:4] == ["occupied", "seq", "uptime_s", "fw"])
        check("first report: vacant, seq 1, fw, on desks/<desk>/report, QoS 1, not retained", ok, e and e[2])

        radar.noise = True
        radar.target = (2, 85)
        i, e = modem.wait(is_report(occupied=True, distance=85), start=i or 0)
        check("presence through UART noise and corrupt frames: occupied, distance_cm 85", e, "no report")
        radar.noise = False
        radar.target = (0, 0)
        i, e = modem.wait(is_report(occupied=False), start=i or 0)
        check("absence held: vacant", e, "no report")

        radar.target = None
        control.send(b"1")
        i, e = modem.wait(is_report(occupied=True, distance=None), start=i or 0)
        check("radar UART silent: the OUT pin stands in (occupied, no distance)", e, "no report")
        j, h = modem.wait(is_report(occupied=True), start=(i or 0) + 1, timeout=8)
        ok = e and h and payload(h).get("seq") == payload(e).get("seq", -2) + 1
        check("heartbeat: the same state again within the heartbeat, next seq", ok, h and h[2])

        mark = len(modem.log)
        modem.drop_broker()
        c, _ = modem.wait(is_cmd("AT+MQTTCLEAN=0"), start=mark)
        k, _ = modem.wait(is_cmd("AT+MQTTCONN="), start=mark)
        rejoined = c is not None and k is not None and not any(
            e[1] == "cmd" and e[2].startswith("AT+CWJAP") for e in modem.log[mark:k])
        b, _ = modem.wait(lambda e: e[1] == "pub" and e[2][0].endswith("/status"), start=mark)
        r, _ = modem.wait(is_report(), start=b or mark)
        check("broker dropped: reconnects without rejoining Wi-Fi, birth again, a fresh report",
              rejoined and b is not None and r is not None)

        mark = len(modem.log)
        modem.silent = True
        control.send(b"0")
        x, _ = modem.wait(lambda e: e[1] == "reset", start=mark, timeout=40)
        check("module stops answering: the node pulses its reset line", x is not None)
        r, e = modem.wait(is_report(occupied=False), start=x or mark)
        check("after the module's reset: connected again and the vacancy reported", e, "no report")

        seqs = [payload(e).get("seq") for _, e in reports(modem)]
        ups = [payload(e).get("uptime_s", -1) for _, e in reports(modem)]
        check("seq grows with every report, uptime never goes back",
              None not in seqs and seqs == sorted(set(seqs)) and ups == sorted(ups), f"seqs {seqs}")
        pattern = re.compile(r'\{"occupied":(true|false),"seq":\d+,"uptime_s":\d+,"fw":"1\.0\.0"(,"distance_cm":\d+)?\}')
        check("every report is the contract's JSON, byte for byte",
              all(pattern.fullmatch(e[2][1]) for _, e in reports(modem)))

        # The watchdog: a fault (a Swift trap) and a hang (the loop stops) each reboot the node,
        # which resets the module and connects again.
        for drill, name in ((b"F", "a fault"), (b"H", "a hang")):
            mark = len(modem.log)
            boots = open(console, errors="replace").read().count("cantine desk-node ")
            closed = sum(1 for c in radar.commands if c[1] == 0x00FE)
            control.send(drill)
            b, _ = modem.wait(lambda e: e[1] == "pub" and e[2][0].endswith("/status"), start=mark)
            again = open(console, errors="replace").read().count("cantine desk-node ")
            reset = any(e[1] == "reset" for e in modem.log[mark:b or len(modem.log)])
            check(f"{name} reboots the node through the watchdog: module reset, connected again",
                  b is not None and again == boots + 1 and reset, f"boots {boots} -> {again}")
            deadline = time.monotonic() + WAIT  # the rebooted node's radar set-up, done
            while sum(1 for c in radar.commands if c[1] == 0x00FE) == closed and time.monotonic() < deadline:
                time.sleep(0.1)
        writes = [c for c in radar.commands if c[1] == 0x0060]
        reads = [c for c in radar.commands if c[1] == 0x0061]
        check("after two reboots the radar was read three times and written once (its settings kept)",
              len(writes) == 1 and len(reads) == 3, f"{len(reads)} reads, {len(writes)} writes")
        if len(sys.argv) > 3:
            with open(sys.argv[3], "w") as out:
                out.writelines(e[2][1] + "\n" for _, e in reports(modem))
    finally:
        radar.stop = True
        status = finish(qemu, control)
    text = open(console, errors="replace").read()
    check("console: banner, desk, connection, occupancy and reset lines",
          all(s in text for s in ("cantine desk-node 1.0.0 on qemu-mps2-an385", "desk j01, node node-j01",
                                  "mqtt connected", "occupied", "vacant", "module reset")), text[-300:])
    leds = ("led: slow flash (connecting)", "led: 3 flashes (no answer from the Wi-Fi module)",
            "led: 5 flashes (no broker)", "led: steady (connected)", "led: 6 flashes (radar silent, using its OUT pin)")
    check("console: the LED's codes as the day goes (connecting, no module, no broker, connected, radar silent)",
          all(s in text for s in leds), [s for s in leds if s not in text])
    check("console: radar configured, and the fault named before the watchdog's reboot",
          "radar configured: max gate 2" in text and "fault: rebooting through the watchdog" in text)
    check("exits cleanly when told (semihosting)", status == 0, f"status {status}")


def refusals(image, tool, workdir):
    cases = [("no provisioning block: the node says so and stops",
              None, "provisioning: no block (erased flash)")]
    corrupt = os.path.join(workdir, "corrupt.bin")
    subprocess.run([tool, "--site", "paris", "--desk", "j02", "--node", "n2", "--wifi-ssid", "x",
                    "--broker-host", "h", "--out", corrupt], check=True)
    data = bytearray(open(corrupt, "rb").read())
    data[data.index(b"desk=j02") + 5] = ord("k")
    open(corrupt, "wb").write(data)
    cases.append(("a corrupt provisioning block is refused (CRC)", corrupt, "provisioning: crc mismatch"))
    # Fits the block, not ESP-AT: the provision tool refuses it, and so does the node.
    tool_run = subprocess.run([tool, "--site", "s" * 21, "--desk", "j03", "--node", "n" * 22, "--wifi-ssid", "x",
                               "--broker-host", "h", "--out", os.path.join(workdir, "long.bin")],
                              capture_output=True, text=True)
    lines = tool_run.stderr.strip().splitlines()
    check("provision refuses a status topic over 64 bytes, in one line naming the fields",
          tool_run.returncode == 2 and len(lines) == 1 and "site and node make the status topic 65 bytes" in lines[0],
          tool_run.stderr.strip())
    tool_run = subprocess.run([tool, "--site", "paris", "--desk", "j03", "--node", "n3", "--wifi-ssid", "x",
                               "--broker-host", "h", "--mqtt-user", "," * 64, "--mqtt-password", '"' * 45,
                               "--out", os.path.join(workdir, "long.bin")], capture_output=True, text=True)
    check("provision refuses an AT+MQTTUSERCFG of 256 bytes or more (escaping counted)",
          tool_run.returncode == 2 and "AT+MQTTUSERCFG 256 bytes, ESP-AT takes 255" in tool_run.stderr,
          tool_run.stderr.strip())
    text = (b"CANTINE-NODE 1\nsite=" + b"s" * 21 + b"\ndesk=j03\nnode=" + b"n" * 22
            + b"\nwifi_ssid=x\nbroker_host=h\n")
    text += b"crc=%08x\n" % zlib.crc32(text)
    long_block = os.path.join(workdir, "long-by-hand.bin")
    open(long_block, "wb").write(text + b"\xff" * (4096 - len(text)))
    cases.append(("a block written by hand with a 65-byte status topic is refused by the node",
                  long_block, "provisioning: site and node make the status topic 65 bytes, ESP-AT takes 64"))
    for name, prov, expected in cases:
        sub = tempfile.mkdtemp(dir=workdir)
        qemu, ports, console = boot(image, prov, sub)
        try:
            status = qemu.wait(20)
        except subprocess.TimeoutExpired:
            qemu.kill()
            status = None
        text = open(console, errors="replace").read()
        check(name, status == 0 and expected in text and "halt: led code " in text and "mqtt" not in text,
              text.strip()[-200:])


def main():
    image, tool = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as workdir:
        day(image, tool, workdir)
        refusals(image, tool, workdir)
    failed = sum(1 for _, ok in results if not ok)
    print(f"  scenario: {len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Boots the desk-node image under qemu-system-arm (mps2-an385) and plays a scripted day on its
UARTs: this script is the ESP-AT Wi-Fi module (it answers the AT commands, refuses one
connection, drops the broker, then falls silent until the node pulses its reset line), the
LD2410 radar (a trace of target frames, with UART noise and corrupt frames mixed in) and the
pins (the radar's OUT pin). Each expectation on the node's AT/MQTT traffic is one check.
Prints one line per check and exits 1 if any failed. With REPORTS, the payloads of every report
the node published are written there, one per line (Firmware/test has the daemon decode them).

  scenario.py IMAGE.elf PROVISION_TOOL [REPORTS]
"""
import json, os, re, socket, struct, subprocess, sys, tempfile, threading, time

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
    """An ESP-AT module: echo until ATE0, OK/ERROR, +MQTTCONNECTED, the PUBRAW prompt."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.cond = threading.Condition()
        self.log = []  # (time, "cmd", text) or (time, "pub", (topic, payload, qos, retain))
        self.echo = True
        self.connected = False
        self.silent = False
        self.refuse = set()  # command prefixes answered ERROR once
        self.buffer = b""
        self.raw = None  # (topic, length, qos, retain) while reading a PUBRAW payload

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
            self.record("cmd", text)
            if self.silent:
                continue
            if self.echo:
                self.port.send(line + b"\r\n")
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
    """Sends the current target every 50 ms; None sends nothing (a silent UART)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.target = (0, 0)
        self.noise = False
        self.stop = False

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


def reports(modem, start=0):
    return [(i, e) for i, e in enumerate(modem.log) if i >= start and e[1] == "pub" and e[2][0].endswith("/report")]


def is_report(occupied=None, distance="any"):
    def predicate(entry):
        if entry[1] != "pub" or not entry[2][0].endswith("/report"):
            return False
        body = json.loads(entry[2][1])
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
    threading.Thread(target=lambda: [modem.reset() for b in iter(control.recv, b"") if b"R" in b],
                     daemon=True).start()
    modem.start()
    radar.start()
    try:
        i, e = modem.wait(is_cmd("AT+CWJAP="))
        check("joins Wi-Fi with the provisioned SSID and password, escaped for AT",
              e and e[2] == 'AT+CWJAP="Cantine","pa\\"ss\\,w"', e and e[2])
        i, e = modem.wait(is_cmd("AT+MQTTUSERCFG="))
        check("MQTT client id and credentials from provisioning",
              e and e[2] == 'AT+MQTTUSERCFG=0,1,"node-j01","node-j01","s3cret",0,0,""', e and e[2])
        i, e = modem.wait(is_cmd("AT+MQTTCONNCFG="))
        check("last will: nodes/<node>/status offline, QoS 1, retained",
              e and e[2] == 'AT+MQTTCONNCFG=0,60,0,"cantine/paris/nodes/node-j01/status","offline",1,1', e and e[2])
        i1, first = modem.wait(is_cmd("AT+MQTTCONN="))
        i2, second = modem.wait(is_cmd("AT+MQTTCONN="), start=(i1 or 0) + 1)
        retried = first and second and second[0] - first[0] >= 0.9
        restarted = first and second and any(e[2] == "AT" for e in modem.log[i1:i2] if e[1] == "cmd")
        check("a refused connection (ERROR) is retried after a backoff, from the start", retried and restarted,
              f"gap {second[0] - first[0]:.2f}s" if first and second else "no retry")
        i, e = modem.wait(lambda e: e[1] == "pub" and e[2][0].endswith("/status"))
        check("birth: status online, QoS 1, retained",
              e and e[2] == ("cantine/paris/nodes/node-j01/status", "online", 1, 1), e and e[2])
        i, e = modem.wait(is_report(occupied=False))
        ok = False
        if e:
            body = json.loads(e[2][1])
            ok = (e[2][0] == "cantine/paris/desks/j01/report" and e[2][2:] == (1, 0) and body["seq"] == 1
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
        ok = e and h and json.loads(h[2][1])["seq"] == json.loads(e[2][1])["seq"] + 1
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

        seqs = [json.loads(e[2][1])["seq"] for _, e in reports(modem)]
        ups = [json.loads(e[2][1])["uptime_s"] for _, e in reports(modem)]
        check("seq grows with every report, uptime never goes back",
              seqs == sorted(set(seqs)) and ups == sorted(ups), f"seqs {seqs}")
        pattern = re.compile(r'\{"occupied":(true|false),"seq":\d+,"uptime_s":\d+,"fw":"1\.0\.0"(,"distance_cm":\d+)?\}')
        check("every report is the contract's JSON, byte for byte",
              all(pattern.fullmatch(e[2][1]) for _, e in reports(modem)))
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
    for name, prov, expected in cases:
        sub = tempfile.mkdtemp(dir=workdir)
        qemu, ports, console = boot(image, prov, sub)
        try:
            status = qemu.wait(20)
        except subprocess.TimeoutExpired:
            qemu.kill()
            status = None
        text = open(console, errors="replace").read()
        check(name, status == 0 and expected in text and "mqtt" not in text, text.strip()[-200:])


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

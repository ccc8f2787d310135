import Glibc
import SyCore

/// A throwaway sshd on 127.0.0.1 with keys made at test time, all inside a temp directory.
public final class SSHServer {
    public let dir: TempDir
    public let port: Int
    public let host = "127.0.0.1"
    let child: Child

    /// Starts sshd; nil if it cannot run here (no sshd installed).
    public init?() {
        guard access("/usr/sbin/sshd", X_OK) == 0 else { return nil }
        dir = TempDir("sshd")
        let d = dir.path
        if geteuid() == 0 { mkdir("/run/sshd", 0o755) }
        for k in ["hostkey", "userkey"] {
            guard system(script: "ssh-keygen -q -t ed25519 -N '' -f \(shellQuote(d + "/" + k))") == 0 else { return nil }
        }
        guard system(script: "cp \(shellQuote(d + "/userkey.pub")) \(shellQuote(d + "/authorized_keys"))") == 0 else { return nil }
        var started: (Child, Int)?
        for _ in 0..<20 {
            let p = Int.random(in: 20000..<60000)
            let config = """
                Port \(p)
                ListenAddress 127.0.0.1
                HostKey \(d)/hostkey
                AuthorizedKeysFile \(d)/authorized_keys
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes no
                PermitRootLogin prohibit-password
                PidFile \(d)/sshd.pid
                MaxSessions 50
                MaxStartups 100
                LogLevel INFO
                """
            writeFile(d + "/sshd_config", Array(config.utf8))
            guard let c = try? Child.spawn(["/usr/sbin/sshd", "-D", "-f", d + "/sshd_config", "-E", d + "/log"], name: "sshd", stdin: 0, stdout: 1) else { continue }
            // Ready when it accepts a connection; gone if the port was taken.
            var ok = false
            for _ in 0..<200 {
                if c.poll() != nil { break }
                if system(script: "ssh \(SSHServer.clientOptions(port: p, dir: d)) 127.0.0.1 true 2>/dev/null") == 0 { ok = true; break }
                usleep(20_000)
            }
            if ok { started = (c, p); break }
            kill(c.pid, SIGTERM); _ = c.wait()
        }
        guard let (c, p) = started else { return nil }
        child = c
        port = p
    }

    deinit {
        kill(child.pid, SIGTERM)
        _ = child.wait()
    }

    static func clientOptions(port: Int, dir: String) -> String {
        "-p \(port) -i \(dir)/userkey -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes"
    }

    /// The `-e` value for sy and rsync.
    public var rsh: String { "ssh " + SSHServer.clientOptions(port: port, dir: dir.path) }

    /// sshd's log.
    public var log: String { String(decoding: readFile(dir.path + "/log") ?? [], as: UTF8.self) }

    /// How many connections sshd has logged as accepted so far.
    public var acceptedConnections: Int {
        // sshd ends its log lines with "\r\n" (one Character in Swift): split the bytes.
        (readFile(dir.path + "/log") ?? []).split(separator: 0x0A)
            .filter { String(decoding: $0, as: UTF8.self).contains("Accepted publickey") }.count
    }

    /// Connections accepted after `before`, once sshd's (asynchronous) log has settled.
    public func connections(since before: Int) -> Int {
        var n = acceptedConnections
        for _ in 0..<300 where n == before {
            usleep(10_000)
            n = acceptedConnections
        }
        usleep(500_000)
        return acceptedConnections - before
    }
}

import SyCore
import Testing

/// rsync's host specs: which arguments are remote, and the host and path of each.
struct EndpointTests {
    @Test(arguments: [
        ("host:path", "host", "path"),
        ("user@host:/abs", "user@host", "/abs"),
        ("host:", "host", "."),
        (":x", "", "x"),
        ("[::1]:/srv/x", "::1", "/srv/x"),
        ("user@[fe80::1%eth0]:d/", "user@fe80::1%eth0", "d/"),
        ("[::1]::module", "::1", ":module"),
    ])
    func remoteArguments(arg: String, host: String, path: String) {
        let e = Endpoint(arg)
        #expect(e.host == host && e.path == path, "\(arg): \(String(describing: e.host)) \(e.path)")
    }

    @Test(arguments: ["./host:path", "/a:b", "dir/x:y", "a[b]:c", "[::1]", "[::1]/x", "[]:x", "plain"])
    func localArguments(arg: String) {
        let e = Endpoint(arg)
        #expect(e.host == nil && e.path == arg, "\(arg): \(String(describing: e.host))")
    }
}

/// --rsync-path: the text before the program, and the directory of sy's tools.
struct RemoteProgramTests {
    @Test(arguments: [
        ("sudo rsync", "sudo", nil),
        ("rsync", "", nil),
        ("/usr/local/bin/rsync", "", "/usr/local/bin"),
        ("mkdir -p /d && /opt/sy/bin/sy", "mkdir -p /d &&", "/opt/sy/bin"),
        ("  sudo -u bob /opt/rsync  ", "sudo -u bob", "/opt"),
        ("/opt/sy/bin", "", "/opt/sy/bin"),
        ("/rsync", "", "/"),
        ("/home/me/sy/", "", "/home/me/sy/"),
    ] as [(String, String, String?)])
    func parses(value: String, prefix: String, dir: String?) {
        let p = RemoteProgram(value)
        #expect(p.prefix == prefix && p.dir == dir, "\(value): \(p)")
    }
}

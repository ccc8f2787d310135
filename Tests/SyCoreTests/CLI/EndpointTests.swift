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

import Glibc
import SyCore
import SyTestSupport
import Testing

/// sy-scan against find(1), and `sy show` round trips.
@Suite(.serialized)
struct ScanTests {
    /// A tree with every file type and odd names.
    func oddTree(_ root: String) {
        mkdir(root, 0o755)
        let r = root.pathBytes
        let names: [PathBytes] = [Array("plain".utf8), Array("with space".utf8), Array("new\nline".utf8), [0x62, 0xFF, 0xFE],
                                  Array("-leading-dash".utf8), PathBytes(repeating: 0x6E, count: 255), Array("é中".utf8)]
        for (i, n) in names.enumerated() { writeFile(r + [0x2F] + n, Array(repeating: UInt8(i), count: i * 100)) }
        try? Sys.mkdirat(Sys.atFDCWD, r + Array("/dir".utf8), 0o700)
        try? Sys.mkdirat(Sys.atFDCWD, r + Array("/dir/empty".utf8), 0o755)
        writeFile(r + Array("/dir/file".utf8), [1, 2, 3])
        try? Sys.linkat(Sys.atFDCWD, r + Array("/dir/file".utf8), Sys.atFDCWD, r + Array("/hardlink".utf8))
        try? Sys.symlinkat(Array("dir/file".utf8), Sys.atFDCWD, r + Array("/symlink".utf8))
        try? Sys.symlinkat([0xFF, 0x2F, 0x78], Sys.atFDCWD, r + Array("/oddlink".utf8))
        try? Sys.mknodat(Sys.atFDCWD, r + Array("/fifo".utf8), mode_t(0o010600), 0)
        try? Sys.mknodat(Sys.atFDCWD, r + Array("/chardev".utf8), mode_t(0o020600), UInt64(1 << 8 | 3))
        setMtime(r + Array("/plain".utf8), 1_700_000_000, 123_456_789)
        setMtime(r + Array("/symlink".utf8), 1_600_000_000, 987_654_321)
    }

    struct FindRow: Equatable { var kind: String; var perms: String; var uid: String; var gid: String; var size: String; var ino: String; var nlink: String; var mtimeNs: String; var target: [UInt8] }

    func findRows(_ root: String) -> [PathBytes: FindRow] {
        let r = run(["find", root + "/", "-mindepth", "1", "-printf", "%P\\0%y\\0%m\\0%U\\0%G\\0%s\\0%i\\0%n\\0%T@\\0%l\\0"])
        #expect(r.code == 0)
        let fields = r.stdout.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
        var rows: [PathBytes: FindRow] = [:]
        var i = 0
        while i + 10 <= fields.count {
            let f = fields[i..<(i + 10)].map { String(decoding: $0, as: UTF8.self) }
            let t = f[8].split(separator: ".")
            let ns = String(t[0]) + String(String(t.count > 1 ? t[1] : "").padding(9))
            rows[fields[i]] = FindRow(kind: f[1], perms: f[2], uid: f[3], gid: f[4], size: f[5], ino: f[6], nlink: f[7], mtimeNs: ns, target: fields[i + 9])
            i += 10
        }
        return rows
    }

    @Test func scanAgreesWithFind() throws {
        let t = TempDir()
        let root = t.sub("tree")
        oddTree(root)
        let scan = run(["sh", "-c", "sy-scan \(shellQuote(root))/ | sy show --json"])
        #expect(scan.code == 0, "\(scan)")
        let expected = findRows(root)
        var seen = 0
        for line in scan.stdout.split(separator: 0x0A) {
            let json = try JSONParser.parse(Array(line))
            guard case .string("entry")? = json["type"] else { continue }
            let rec = try RecordJSON.record(json, line: 0)
            guard case .entry(let e) = rec else { continue }
            if e.path == [0x2E] { continue }
            guard let row = expected[e.path] else { Issue.record("sy-scan reported \(e.path.displayName), find did not"); continue }
            seen += 1
            let kindLetter: [EntryKind: String] = [.file: "f", .directory: "d", .symlink: "l", .fifo: "p", .charDevice: "c", .blockDevice: "b", .socket: "s"]
            #expect(kindLetter[e.kind] == row.kind, "\(e.path.displayName)")
            #expect(String(e.perms, radix: 8) == row.perms, "\(e.path.displayName)")
            #expect(String(e.uid) == row.uid && String(e.gid) == row.gid)
            if e.kind == .file || e.kind == .symlink { #expect(String(e.size) == row.size, "\(e.path.displayName)") }
            #expect(String(e.ino) == row.ino && String(e.nlink) == row.nlink)
            let ns = String(e.mtimeSec) + String(String(e.mtimeNsec).leftPad(9))
            #expect(ns.prefix(19) == row.mtimeNs.prefix(19), "\(e.path.displayName): \(ns) vs \(row.mtimeNs)")
            #expect(e.target == row.target, "\(e.path.displayName)")
        }
        #expect(seen == expected.count, "sy-scan saw \(seen) of \(expected.count) entries")
    }

    @Test func scanOrderIsTheDocumentedOrder() throws {
        let t = TempDir()
        let root = t.sub("tree")
        oddTree(root)
        let out = run(["sh", "-c", "sy-scan \(shellQuote(root))/ | sy show --json"])
        var paths: [(PathBytes, Bool)] = []
        for line in out.stdout.split(separator: 0x0A) {
            let json = try JSONParser.parse(Array(line))
            if case .entry(let e)? = try? RecordJSON.record(json, line: 0) { paths.append((e.path, e.kind == .directory)) }
        }
        #expect(paths.first?.0 == [0x2E])
        #expect(paths.count > 10)
        for i in 1..<paths.count {
            let (a, ad) = paths[i - 1], (b, bd) = paths[i]
            #expect(PathOps.compare(a, isDir: ad, b, isDir: bd) < 0, "\(a.displayName) before \(b.displayName)")
        }
    }

    @Test func showJSONRoundTripIsByteIdentical() throws {
        let t = TempDir()
        let root = t.sub("tree")
        oddTree(root)
        writeFile(t.sub("dst/old"), [1])
        let q = shellQuote
        let cmds = [
            "sy-scan -U \(q(root))/ > \(q(t.sub("entries")))",
            "sy-scan -c \(q(root))/ | sy-sum -a --delete \(q(t.sub("dst"))) > \(q(t.sub("plans")))",
            "sy-scan \(q(root))/ | sy-sum -a \(q(t.sub("dst"))) | sy-delta --literal-level 3 \(q(root))/ > \(q(t.sub("delta")))",
            "sy-scan -z \(q(root))/ > \(q(t.sub("zentries")))",
            "sy-scan \(q(root))/ > \(q(t.sub("plainentries")))",
        ]
        for c in cmds { #expect(sh(c).code == 0, "\(c)") }
        for name in ["entries", "plans", "delta"] {
            let r = sh("sy show --json \(q(t.sub(name))) | sy show --encode > \(q(t.sub(name + ".again")))")
            #expect(r.code == 0, "\(r)")
            let same = readFile(t.sub(name)) == readFile(t.sub(name + ".again"))
            #expect(same, "\(name) round trip differs")
            let text = sh("sy show \(q(t.sub(name)))")
            #expect(text.code == 0 && text.out.contains("checksum ok"))
        }
        // A compressed stream re-encodes to the same records, uncompressed.
        let z = sh("sy show --json \(q(t.sub("zentries"))) | sy show --encode | sy show --json")
        // (Without -U: reading a symlink may move its access time between two scans.)
        let plain = sh("sy show --json \(q(t.sub("plainentries")))")
        #expect(z.code == 0 && z.out.split(separator: "\n").dropFirst() == plain.out.split(separator: "\n").dropFirst())
        #expect(readFile(t.sub("zentries"))!.count < readFile(t.sub("plainentries"))!.count)
    }

    @Test func jqStyleFilteringThroughJSON() throws {
        let t = TempDir()
        let root = t.sub("tree")
        oddTree(root)
        // Drop the 'plain' entry by editing the JSON, re-encode, and sync from the edited list.
        let q = shellQuote
        let r = sh("sy-scan \(q(root))/ | sy show --json | grep -v '\"path\":\"plain\"' | sy show --encode | sy-sum -a \(q(t.sub("dst"))) | sy-delta \(q(root))/ | sy-apply -a \(q(t.sub("dst")))")
        #expect(r.code == 0, "\(r)")
        #expect(!exists(t.sub("dst/plain")))
        #expect(exists(t.sub("dst/with space")))
    }

    @Test func unreadableDirectoryIsReportedAndSkipped() throws {
        guard geteuid() != 0 else { return } // root reads everything; covered by the sync tests with a vanished file
        let t = TempDir()
        mkdir(t.sub("src"), 0o755); mkdir(t.sub("src/locked"), 0o000)
        let r = run(["sy-scan", t.sub("src") + "/"])
        #expect(r.code == 23)
    }
}

extension String {
    func padding(_ n: Int) -> String { self + String(repeating: "0", count: max(0, n - count)) }
    func leftPad(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}

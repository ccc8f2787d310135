import Glibc

/// `--remove-source-files`: sy-apply reports each non-directory it has put in place (or found
/// up to date) as a DONE line on its stdout; sy collects them, passes everything else through,
/// and afterwards the sender's side removes those files if they have not changed since.
///
/// A DONE line is `\u{1}` `done` SP size SP mtime-sec SP mtime-nsec SP path-length SP path `\n`
/// (the path is raw bytes, so its length is given).
public enum DoneLine {
    static let marker: UInt8 = 0x01

    public static func encode(_ e: Entry) -> [UInt8] {
        [marker] + Array("done \(e.size) \(e.mtimeSec) \(e.mtimeNsec) \(e.path.count) ".utf8) + e.path + [0x0A]
    }

    /// Decodes one line (without its marker and newline); nil if malformed.
    static func decode(_ line: ArraySlice<UInt8>) -> Entry? {
        var fields: [Int64] = []
        var i = line.startIndex
        guard line.starts(with: Array("done ".utf8)) else { return nil }
        i += 5
        while fields.count < 4 {
            var v: Int64 = 0, any = false, neg = false
            if i < line.endIndex && line[i] == 0x2D { neg = true; i += 1 }
            while i < line.endIndex, line[i] >= 0x30 && line[i] <= 0x39 { v = v * 10 + Int64(line[i] - 0x30); i += 1; any = true }
            guard any, i < line.endIndex, line[i] == 0x20 else { return nil }
            fields.append(neg ? -v : v)
            i += 1
        }
        let path = Array(line[i...])
        guard path.count == Int(fields[3]), PathCheck.problem(path) == nil else { return nil }
        return Entry(path: path, kind: .file, size: fields[0], mtimeSec: fields[1], mtimeNsec: fields[2])
    }

    /// Reads a list of DONE lines (as sy-delta --remove-source-files gets it on stdin). A path
    /// may hold newlines: each line is taken by its length.
    public static func decodeAll(_ bytes: [UInt8]) -> [Entry] {
        var out: [Entry] = []
        var i = 0
        while i < bytes.count {
            let n = bytes[i] == marker ? length(bytes[(i + 1)...]) : nil
            guard let n, i + 1 + n <= bytes.count else {
                // Not a DONE line: skipped to its newline.
                i = (bytes[i...].firstIndex(of: 0x0A) ?? bytes.count - 1) + 1
                continue
            }
            if let e = decode(bytes[(i + 1)..<(i + n)]) { out.append(e) }
            i += 1 + n
        }
        return out
    }

    /// The length of the DONE line at the start of `b` (after its marker, up to and with its
    /// newline), read from its path-length field; nil while `b` does not hold it all.
    static func length(_ b: ArraySlice<UInt8>) -> Int? {
        var spaces = 0, pathLength = 0
        var i = b.startIndex
        while i < b.endIndex, spaces < 5 {
            let c = b[i]
            if c == 0x20 { spaces += 1 } else if spaces == 4 {
                guard c >= 0x30 && c <= 0x39, pathLength < Int(Wire.maxPath) else { return nil }
                pathLength = pathLength * 10 + Int(c - 0x30)
            }
            i += 1
        }
        guard spaces == 5 else { return nil }
        let n = i - b.startIndex + pathLength + 1
        return n <= b.count && b[b.startIndex + n - 1] == 0x0A ? n : nil
    }
}

/// Passes a stage's stdout through to ours, keeping the DONE lines aside.
public final class OutputRelay: @unchecked Sendable {
    private let input: Int32
    private var done: [UInt8] = []
    private var thread = pthread_t()
    private let lock = NSLockLite()

    public init(input: Int32) { self.input = input }

    public func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { arg in
            let relay = Unmanaged<OutputRelay>.fromOpaque(arg!).takeRetainedValue()
            relay.pump()
            return nil
        }, box)
    }

    /// Waits for the end of the stream; returns the DONE lines.
    public func finish() -> [UInt8] {
        pthread_join(thread, nil)
        return lock.withLock { done }
    }

    private func pump() {
        let size = 65536
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buf.deallocate() }
        var atLineStart = true
        var pass: [UInt8] = []
        var captured: [UInt8] = []
        // The DONE line being read (a path may hold newlines: it ends where its length says).
        var current: [UInt8]? = nil
        while let n = try? Sys.read(input, buf, size), n > 0 {
            pass.removeAll(keepingCapacity: true)
            for b in UnsafeRawBufferPointer(start: buf, count: n) {
                if current == nil && atLineStart && b == DoneLine.marker { current = [] }
                if current != nil {
                    current!.append(b)
                    if b == 0x0A, current!.count > 1, let len = DoneLine.length(current![1...]), len == current!.count - 1 {
                        captured += current!
                        current = nil
                    } else if current!.count > Int(Wire.maxPath) + 100 {
                        pass += current!; current = nil // (not a DONE line after all)
                    }
                } else { pass.append(b) }
                atLineStart = b == 0x0A
            }
            if !pass.isEmpty { pass.withUnsafeBytes { b in try? Sys.writeAll(1, b.baseAddress!, b.count) } }
        }
        if let c = current { c.withUnsafeBytes { b in try? Sys.writeAll(1, b.baseAddress!, b.count) } }
        lock.withLock { done = captured }
    }
}

/// Removes sent source files that still have the size and mtime they were sent with.
public enum SourceRemover {
    /// Removes each listed file below `sources`; returns 0 or 23 (some could not be removed).
    /// `followLinks`: directories on the way may be symlinks (-L, -k, --copy-unsafe-links);
    /// `copyLinks` (-L): a symlink itself was sent as its target, which is compared. Otherwise,
    /// as rsync's sender re-lstats, a link sent as its target (--copy-unsafe-links) counts as
    /// changed and stays.
    public static func remove(_ list: [Entry], sources: [PathBytes], topName: PathBytes?, alias: PathBytes? = nil, relative: Bool,
                              followLinks: Bool, copyLinks: Bool, noteRemoved: Bool = false) -> ExitStatus {
        var status = ExitStatus.ok
        let set = SourceSet(args: sources, topName: topName, relative: relative, ignoreMissing: true) { _ in }
        set.alias = alias
        set.followLinks = followLinks
        for e in list {
            do throws(Errno) {
                let (dir, name) = try set.locate(e.path)
                // The entry describes the name itself, or with -L what a link points to.
                func same(_ st: FileStat) -> Bool {
                    st.kind != .directory && st.size == e.size && st.mtimeSec == e.mtimeSec && st.mtimeNsec == e.mtimeNsec
                }
                let st = try Sys.fstatat(dir, name, follow: copyLinks)
                guard same(st) else {
                    warn("ERROR: Skipping sender remove for changed file: \(e.path.displayName)")
                    status = status.merged(with: .partial)
                    continue
                }
                try Sys.unlinkat(dir, name, isDir: false)
                if noteRemoved {
                    // rsync's --info=remove (-vv), on stdout.
                    let line = RawArguments.shown("sender removed \(e.path.displayName)") + [0x0A]
                    _ = try? Sys.writeAll(1, line, line.count)
                }
            } catch {
                if error.code == ENOENT {
                    // rsync's note (stdout): gone already, or a link whose target went first.
                    let line = RawArguments.shown("sender file already removed: \(e.path.displayName)") + [0x0A]
                    _ = try? Sys.writeAll(1, line, line.count)
                    continue
                }
                warn("cannot remove source file '\(e.path.displayName)': \(errnoText(error.code))")
                status = status.merged(with: .partial)
            }
        }
        return status
    }
}

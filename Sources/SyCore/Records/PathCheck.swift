import Glibc

/// Checks that a path from a stream is safe to use under a destination root.
public enum PathCheck {
    /// Why `path` is unsafe, or nil if it is a clean relative path (or `.`, the root).
    public static func problem(_ path: PathBytes) -> String? {
        if path.isEmpty { return "empty path" }
        if path == [0x2E] { return nil }
        if path.first == 0x2F { return "absolute path" }
        return path.withUnsafeBufferPointer { p -> String? in
            let n = p.count
            var compStart = 0
            for i in 0...n {
                let c: UInt8 = i == n ? 0x2F : p[i]
                if c == 0 { return "NUL byte in path" }
                guard c == 0x2F else { continue }
                let len = i - compStart
                if len == 0 { return "empty path component" }
                if len == 1 && p[compStart] == 0x2E { return "'.' component" }
                if len == 2 && p[compStart] == 0x2E && p[compStart + 1] == 0x2E { return "'..' component" }
                if len > 255 { return "name longer than 255 bytes" }
                compStart = i + 1
            }
            return nil
        }
    }
}

/// Path helpers on raw bytes.
public enum PathOps {
    /// rsync's rule for one file sent to `destination` (a path as given, on this host): when
    /// the stream's only entry is `first`, no directory, and `destination` does not end in `/`
    /// and is no directory, the file is written as `destination` itself. Returns the directory
    /// to work in and the file's name there, or nil to work inside `destination`.
    public static func fileTarget(_ destination: PathBytes, for first: Entry, topNames: [PathBytes]?) -> (dir: PathBytes, name: PathBytes)? {
        guard first.kind != .directory, let top = topNames, top.count == 1, top[0] == first.path,
              destination.last != 0x2F, !destination.isEmpty,
              (try? Sys.fstatat(Sys.atFDCWD, destination, follow: true))?.kind != .directory else { return nil }
        let name = base(destination)
        guard name != [0x2E], name != [0x2E, 0x2E] else { return nil }
        var dir = parent(destination)
        if dir.isEmpty { dir = [0x2F] } // (`/name`)
        return (dir, name)
    }

    /// rsync's error when the directory `dir` that one file is to be written in as `dest`
    /// (see `fileTarget`) is missing or no directory; nil if it is one.
    public static func fileDirectoryProblem(_ dir: PathBytes, dest: PathBytes) -> SyError? {
        var code = ENOTDIR
        do {
            if try Sys.fstatat(Sys.atFDCWD, dir, follow: true).kind == .directory { return nil }
        } catch { code = error.code }
        if code == ENOTDIR {
            return SyError("ERROR: cannot stat destination \"\(shownAbsolute(dest))\": \(errnoText(ENOTDIR))", status: .fileSelect)
        }
        return SyError("change_dir#3 \"\(shownAbsolute(dir))\" failed: \(errnoText(code))", status: .fileSelect)
    }

    /// `p` as rsync names a path in its errors: from the working directory if relative.
    public static func shownAbsolute(_ p: PathBytes) -> String {
        p.first == 0x2F ? p.displayName : currentDirectory() + "/" + p.displayName
    }

    /// The parent of a relative path (`.` for a top-level name).
    public static func parent(_ p: PathBytes) -> PathBytes {
        guard let i = p.lastIndex(of: 0x2F) else { return [0x2E] }
        return Array(p[..<i])
    }

    /// The last component.
    public static func base(_ p: PathBytes) -> PathBytes {
        guard let i = p.lastIndex(of: 0x2F) else { return p }
        return Array(p[(i + 1)...])
    }

    /// `dir/name`, treating `.` as the root.
    public static func join(_ dir: PathBytes, _ name: PathBytes) -> PathBytes {
        if dir == [0x2E] || dir.isEmpty { return name }
        return dir + [0x2F] + name
    }

    /// Whether `name` cannot be one component of a path (empty, `.`, `..`, `/` or NUL in it).
    public static func isBadName(_ name: PathBytes) -> Bool {
        name.isEmpty || name == [0x2E] || name == [0x2E, 0x2E] || name.contains(0x2F) || name.contains(0)
    }

    /// Whether `p` is an entry directly in directory `dir` (`.` for the top level).
    @inline(__always)
    public static func isChild(_ p: PathBytes, of dir: PathBytes) -> Bool {
        p.withUnsafeBufferPointer { pp in
            dir.withUnsafeBufferPointer { pd in
                let np = pp.count, nd = pd.count
                if np == 0 || nd == 0 { return false }
                if nd == 1 && pd[0] == 0x2E {
                    if np == 1 && pp[0] == 0x2E { return false }
                    return memchr(pp.baseAddress!, 0x2F, np) == nil
                }
                guard np > nd + 1, pp[nd] == 0x2F, memcmp(pp.baseAddress!, pd.baseAddress!, nd) == 0 else { return false }
                return memchr(pp.baseAddress! + nd + 1, 0x2F, np - nd - 1) == nil
            }
        }
    }

    /// Whether `p` lies strictly below directory `dir` (`.` contains everything else).
    public static func isInside(_ p: PathBytes, _ dir: PathBytes) -> Bool {
        if dir.count == 1 && dir[0] == 0x2E { return !(p.count == 1 && p[0] == 0x2E) }
        guard !dir.isEmpty, p.count > dir.count && p[dir.count] == 0x2F else { return false }
        return p.withUnsafeBufferPointer { pp in
            dir.withUnsafeBufferPointer { memcmp(pp.baseAddress!, $0.baseAddress!, $0.count) == 0 }
        }
    }

    /// The order of every sy stream, rsync's file-list order (its f_name_cmp): `.` first; a
    /// directory comes right before what it holds; among the entries of one directory, the
    /// non-directories (bytewise by name) come before the directories (bytewise by name
    /// followed by "/", so `a.x` comes before `a`).
    ///
    /// `aDir`/`bDir` say whether the paths themselves are directories (every component above
    /// the last one is). The same path as a directory and as a non-directory are not equal:
    /// the non-directory comes first.
    @inline(__always)
    public static func compare(_ a: PathBytes, isDir aDir: Bool, _ b: PathBytes, isDir bDir: Bool) -> Int {
        let aRoot = a == [0x2E], bRoot = b == [0x2E]
        if aRoot || bRoot { return aRoot == bRoot ? 0 : (aRoot ? -1 : 1) }
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let na = pa.count, nb = pb.count, n = min(na, nb)
                var i = 0
                while i < n && pa[i] == pb[i] { i += 1 }
                if i == na && i == nb { return aDir == bDir ? 0 : (aDir ? 1 : -1) }
                // One is a directory above the other.
                if i == na && pb[i] == 0x2F { return -1 }
                if i == nb && pa[i] == 0x2F { return 1 }
                // The differing component: a directory on either side if more follows it.
                var ea = i, eb = i
                while ea < na && pa[ea] != 0x2F { ea += 1 }
                while eb < nb && pb[eb] != 0x2F { eb += 1 }
                let ad = ea < na || aDir, bd = eb < nb || bDir
                if ad != bd { return ad ? 1 : -1 }
                // Directories compare as if their names ended in "/", other names bytewise.
                let x: UInt8 = i == ea ? (ad ? 0x2F : 0) : pa[i]
                let y: UInt8 = i == eb ? (bd ? 0x2F : 0) : pb[i]
                if x == y { return i == ea ? -1 : 1 }
                return x < y ? -1 : 1
            }
        }
    }

    /// The order of directories in a stream: `compare(_:isDir:_:isDir:)` with both directories.
    @inline(__always)
    public static func compare(_ a: PathBytes, _ b: PathBytes) -> Int {
        compare(a, isDir: true, b, isDir: true)
    }
}

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

    /// Whether `p` lies strictly below directory `dir` (`.` contains everything else).
    public static func isInside(_ p: PathBytes, _ dir: PathBytes) -> Bool {
        if dir == [0x2E] { return p != [0x2E] }
        return p.count > dir.count && p[dir.count] == 0x2F && p.starts(with: dir)
    }

    /// The order of every sy stream: `.` first, then component by component, bytewise.
    ///
    /// Equal to a bytewise comparison in which `/` sorts below every other byte, so a
    /// depth-first walk that visits names in bytewise order emits paths in this order.
    @inline(__always)
    public static func compare(_ a: PathBytes, _ b: PathBytes) -> Int {
        let aRoot = a == [0x2E], bRoot = b == [0x2E]
        if aRoot || bRoot { return aRoot == bRoot ? 0 : (aRoot ? -1 : 1) }
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let n = min(pa.count, pb.count)
                var i = 0
                while i < n {
                    var x = pa[i], y = pb[i]
                    if x != y {
                        if x == 0x2F { x = 0 }
                        if y == 0x2F { y = 0 }
                        return x < y ? -1 : 1
                    }
                    i += 1
                }
                return pa.count == pb.count ? 0 : (pa.count < pb.count ? -1 : 1)
            }
        }
    }
}

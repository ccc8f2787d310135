import Testing
@testable import SyCore

/// The stream order: depth first, names bytewise, `.` first.
struct PathOrderTests {
    /// Directories alone: names compare as if ending in "/", and a directory comes right
    /// before what it holds.
    @Test func directoryOrderPutsChildrenBeforeLaterSiblings() {
        let sorted: [PathBytes] = [".", "a-b", "a.txt", "a", "a/x", "a/y", "a0", "b-c", "b", "b/c/d"].map { Array($0.utf8) }
        for i in 0..<sorted.count {
            for j in 0..<sorted.count {
                let c = PathOps.compare(sorted[i], sorted[j])
                #expect(c == (i < j ? -1 : (i == j ? 0 : 1)), "\(sorted[i].displayName) vs \(sorted[j].displayName)")
            }
        }
    }

    /// rsync's file-list order: a directory's non-directories, then its subdirectories (names
    /// compared as if ending in "/"), each followed by what it holds ("/" marks a directory here).
    @Test func streamOrderPutsFilesBeforeSubdirectories() {
        let sorted = [".", "A", "a.txt", "b", "z", "a/", "a/x", "a/y", "a/c/", "a/c/d", "b-c/", "b.x/", "b/", "b/c/", "b/c/d", "b0/", "c/"]
        let paths = sorted.map { s -> (PathBytes, Bool) in
            s.hasSuffix("/") ? (Array(s.dropLast().utf8), true) : (Array(s.utf8), s == ".")
        }
        for i in paths.indices {
            for j in paths.indices {
                let c = PathOps.compare(paths[i].0, isDir: paths[i].1, paths[j].0, isDir: paths[j].1)
                #expect(c == (i < j ? -1 : (i == j ? 0 : 1)), "\(sorted[i]) vs \(sorted[j])")
            }
        }
        // The same name as a file and as a directory: the file first.
        #expect(PathOps.compare(Array("q".utf8), isDir: false, Array("q".utf8), isDir: true) < 0)
        #expect(PathOps.isChild(Array("a/b".utf8), of: Array("a".utf8)))
        #expect(!PathOps.isChild(Array("a/b/c".utf8), of: Array("a".utf8)))
        #expect(PathOps.isChild(Array("x".utf8), of: [0x2E]))
    }

    @Test func pathHelpers() {
        #expect(PathOps.parent(Array("a/b/c".utf8)) == Array("a/b".utf8))
        #expect(PathOps.parent(Array("a".utf8)) == [0x2E])
        #expect(PathOps.base(Array("a/b/c".utf8)) == Array("c".utf8))
        #expect(PathOps.isInside(Array("a/b".utf8), Array("a".utf8)))
        #expect(!PathOps.isInside(Array("ab".utf8), Array("a".utf8)))
        #expect(PathOps.isInside(Array("x".utf8), [0x2E]))
    }
}

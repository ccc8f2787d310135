import Testing
@testable import SyCore

/// The stream order: depth first, names bytewise, `.` first.
struct PathOrderTests {
    @Test func componentOrderPutsChildrenBeforeLaterSiblings() {
        let sorted: [PathBytes] = [".", "a", "a/x", "a/y", "a.txt", "a0", "b", "b/c/d", "b-c"].map { Array($0.utf8) }
        for i in 0..<sorted.count {
            for j in 0..<sorted.count {
                let c = PathOps.compare(sorted[i], sorted[j])
                #expect(c == (i < j ? -1 : (i == j ? 0 : 1)), "\(sorted[i].displayName) vs \(sorted[j].displayName)")
            }
        }
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

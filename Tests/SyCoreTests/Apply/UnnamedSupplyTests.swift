import Glibc
import CSyLinux
import Testing
import SyTestSupport
@testable import SyCore

/// The supply makes files ahead only once making them is slow, and hands them out only for the
/// directory they were made in: a file made in a set-group-ID directory has that directory's
/// group, one made elsewhere the process's, so the group tells where each was made.
struct UnnamedSupplyTests {
    /// Takes from `supply` for `dir` until a file made ahead comes (the first take of a
    /// directory finds none ready); returns its group, or nil if none came.
    static func madeAheadGroup(_ supply: UnnamedSupply, dir: Int32) -> UInt32? {
        for _ in 0..<200 {
            if let fd = supply.take(dir: dir) {
                defer { close(fd) }
                return (try? Sys.fstat(fd))?.gid
            }
            usleep(10_000)
        }
        return nil
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to give a directory another group"))
    func filesAreHandedOutOnlyInTheDirectoryTheyWereMadeIn() throws {
        let t = TempDir()
        mkdir(t.sub("plain"), 0o755)
        mkdir(t.sub("sgid"), 0o755)
        #expect(chown(t.sub("sgid"), 0, 4321) == 0)
        #expect(chmod(t.sub("sgid"), 0o2755) == 0)
        let plain = open(t.sub("plain"), O_RDONLY | O_DIRECTORY)
        let sgid = open(t.sub("sgid"), O_RDONLY | O_DIRECTORY)
        defer { close(plain); close(sgid) }
        let supply = UnnamedSupply()
        // Making files is slow here (as the applier would have seen): the supply starts.
        for _ in 0..<8 { supply.observe(nanos: 10 * UnnamedSupply.slowMake) }
        // Files wait ready for `plain`; the first take for `sgid` must not get one of them.
        #expect(UnnamedSupplyTests.madeAheadGroup(supply, dir: plain) == getegid())
        usleep(50_000)
        let first = supply.take(dir: sgid)
        if let first {
            #expect((try? Sys.fstat(first))?.gid == 4321)
            close(first)
        }
        for _ in 0..<5 { #expect(UnnamedSupplyTests.madeAheadGroup(supply, dir: sgid) == 4321) }
        #expect(UnnamedSupplyTests.madeAheadGroup(supply, dir: plain) == getegid())
        supply.finish()
        // Nothing was ever named: both directories are empty, and the supply makes no more.
        #expect((try? DirReader.sortedNames(plain))?.isEmpty == true)
        #expect((try? DirReader.sortedNames(sgid))?.isEmpty == true)
        #expect(supply.take(dir: plain) == nil)
    }

    /// Where files are quick to make, none are made ahead: the caller makes each.
    @Test func nothingIsMadeAheadWhereFilesAreQuickToMake() {
        let t = TempDir()
        let dir = open(t.path, O_RDONLY | O_DIRECTORY)
        defer { close(dir) }
        let supply = UnnamedSupply()
        for _ in 0..<50 {
            supply.observe(nanos: UnnamedSupply.slowMake / 4)
            #expect(supply.take(dir: dir) == nil)
            usleep(2_000) // (time enough for a supply that had started to make one)
        }
        supply.finish()
    }

    @Test func anUnusedSupplyFinishesAtOnce() {
        UnnamedSupply().finish()
    }
}

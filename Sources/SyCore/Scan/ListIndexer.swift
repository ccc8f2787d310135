/// How `sy-scan --list-index` numbers entries: as rsync's incremental file lists, or as one
/// whole list (in walk order; `-m`'s pruned directories keep their numbers, as in rsync's
/// list, whose receiver prunes them).
public enum ListIndexMode: String, Sendable, CaseIterable {
    case incremental, whole
}

/// Numbers entries as rsync's file list does, for `--progress`'s "to-chk" count.
///
/// With incremental recursion rsync lists a directory's entries together when it expands the
/// directory: they take the next numbers, in walk order (files, then subdirectories), and
/// directories are expanded depth first. So a directory's subdirectories are numbered before
/// anything below the first of them.
struct ListIndexer {
    let mode: ListIndexMode
    /// The directories being listed, innermost last: where their numbers start, how many of
    /// their entries have been numbered.
    private var frames: [(dir: PathBytes, start: UInt64, used: UInt64)] = [([], 0, 0)]
    private var next: UInt64

    /// `topEntries`: the entries of the first list (the source arguments' own entries);
    /// `dotCopies`: how many more `dir/` sources than one list their `.`: rsync's whole list
    /// keeps them, the stream sends one, and the entries sent are numbered after them. (The
    /// copies of other names take the numbers after the one sent: `skip`.)
    init(mode: ListIndexMode, topEntries: Int, dotCopies: Int) {
        self.mode = mode
        next = mode == .whole ? UInt64(max(0, dotCopies)) : UInt64(max(1, topEntries))
    }

    /// How many numbers were given out (rsync's list size).
    var count: UInt64 { next }

    /// The number of the entry at `path`, sent now.
    mutating func index(of path: PathBytes) -> UInt64 {
        if mode == .whole { defer { next += 1 }; return next }
        while frames.count > 1, !PathOps.isChild(path, of: frames[frames.count - 1].dir) { frames.removeLast() }
        let i = frames.count - 1
        defer { frames[i].used += 1 }
        return frames[i].start + frames[i].used
    }

    /// The `n` numbers after the entry just numbered go to its copies from other sources
    /// (rsync's list keeps their slots after it drops them).
    mutating func skip(_ n: Int) {
        guard n > 0 else { return }
        if mode == .whole { next += UInt64(n); return }
        frames[frames.count - 1].used += UInt64(n)
    }

    /// `dir` is expanded: its `count` entries (those the filters keep) take the next numbers.
    mutating func expand(_ dir: PathBytes, count: Int) {
        guard mode == .incremental else { return }
        while frames.count > 1, !PathOps.isInside(dir, frames[frames.count - 1].dir) { frames.removeLast() }
        frames.append((dir, next, 0))
        next += UInt64(count)
    }
}

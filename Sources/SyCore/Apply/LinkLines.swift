/// When rsync lists a hard link: its generator links a group's other members to a file whose
/// data it sends only once the receiver reports that file done. For a tree of a few hundred
/// entries that report arrives at the end of the run (before --delete-after's deletions);
/// later in bigger trees, in batches that depend on timing. The links are then listed from
/// the file's chain of waiting members, last waiting first: those after the file in the list,
/// from the last, then those before it, in the order sy-sum placed them (last held first).
/// A dry run, where nothing is sent, lists them as they come, and so does sy. Followers of a
/// file that is in place already (up to date, or only its attributes changed) are listed at
/// once, as rsync does too. Where reference dirs are given, rsync lists a sent file's links
/// at the end in their own order (`lastFirst` off).
final class LinkLines {
    /// Whether the links placed after a sent file are listed last first.
    var lastFirst = true

    /// A follower's listing, held.
    struct Held {
        var plan: Plan
        var literal: Int64
        var matched: Int64
        var sourceDone: Bool
    }

    /// Per file sent with other links to it: the followers placed after it and before it.
    private var groups: [(after: [Held], before: [Held])] = []
    private var groupOf: [PathBytes: Int] = [:]

    /// `plan` sent a file's data: links to it are listed at the end.
    func sent(_ plan: Plan) {
        guard plan.entry.kind == .file, plan.entry.nlink > 1, plan.action.carriesData else { return }
        groupOf[plan.entry.path] = groups.count
        groups.append(([], []))
    }

    /// Whether as many sent files are remembered as memory should hold: the held listings
    /// are then released (rsync's come in batches in big trees too).
    var isFull: Bool { groups.count >= 8192 }

    /// Holds a link to a file whose data was sent (true); false for any other plan.
    func hold(_ h: Held) -> Bool {
        guard h.plan.action == .hardlink, !h.plan.flags.contains(.linkDest), let g = groupOf[h.plan.linkTo] else { return false }
        if h.plan.flags.contains(.outOfTurn) { groups[g].before.append(h) } else { groups[g].after.append(h) }
        return true
    }

    /// The held listings, in rsync's order; the queue is left empty.
    func release() -> [Held] {
        var out: [Held] = []
        for g in groups {
            out += lastFirst ? g.after.reversed() : g.after
            out += g.before
        }
        groups = []
        groupOf = [:]
        return out
    }
}

/// rsync's order for a hard-link group: its generator skips a new member while no member of the
/// group is in place and the member is not the group's last in the list; the first member that
/// is in place (up to date or updated), or else the last one (which gets the data), becomes the
/// one the skipped members are linked to, last skipped first. sy-sum holds such members and
/// sends their plans, flagged out-of-turn, right after that member's plan, or at the end of the
/// stream for a group whose last member cannot be told (links outside the transfer).
///
/// rsync's generator can only see as far as its sender has listed, about 1,000 entries ahead
/// (MIN_FILECNT_LOOKAHEAD, whole directories at a time): a member with no other member of its
/// group in sight is the group's last. sy does the same: before it holds a member it reads up
/// to `lookahead` entries ahead (`memberInSight`), and a member with no other one there is
/// placed at its turn. A group whose held members wait for one that never comes (skipped) is
/// placed `lookahead` entries later, at its last held member. Memory stays bounded either way
/// (a snapshot tree whose every file has a link outside the transfer is never held).
/// With reference dirs, a member one of them has a file for is placed at once (rsync's
/// generator looks there before it asks whether the member is the last), and so is one -y
/// finds a fuzzy basis for.
extension Summer {
    static let lookahead = 1000

    /// The group's member in place, the one later members are linked to; none while its
    /// first members are new, or left as they were by --append though they differ.
    func leaderInPlace(_ key: LinkKey) -> Leader? { leaders[key].flatMap { $0.skipped ? nil : $0 } }

    /// A member held until a later member of its group is in place, with the flags its link
    /// is itemized with (in a dry run, against what is in the way, which was not removed).
    struct HeldMember {
        var entry: Entry
        var flags: ItemFlags
        /// Where it was in the stream (`sourcePosition`).
        var position: Int
    }

    /// Whether rsync's rule applies: -H, without `--existing` (which creates nothing new).
    /// With reference dirs it applies to a member none of them has a file for (see `holdMember`).
    var holdsLinkMembers: Bool {
        options.hardLinks && !options.existing
    }

    /// A member rsync skips (`-u`, `--ignore-existing`): it neither leads nor waits, and is not
    /// linked later, but it counts toward telling the group's last member.
    func noteSkippedMember(_ s: Entry) {
        guard holdsLinkMembers, s.kind == .file, s.isLinkCandidate else { return }
        let key = LinkKey(dev: s.dev, ino: s.ino)
        guard leaders[key] == nil else { return }
        skippedMembers[key, default: 0] += 1
    }

    /// Holds `s` (true) when it is a new regular file of a group with no member in place and
    /// not the group's last member; false when it is to be placed now. `inTheWay`: another
    /// type at its path, which rsync removes at the member's turn (a directory with contents
    /// only with --delete or --force), so that the link later is a new file. `referenced`: a
    /// reference dir has a file at its path (the caller's `referenceMatch`).
    func holdMember(_ s: Entry, inTheWay d: WalkItem? = nil, referenced: Bool) throws(SyError) -> Bool {
        guard holdsLinkMembers, s.kind == .file, s.isLinkCandidate else { return false }
        let removesDirs = options.delete || options.force
        // A directory that cannot go (not empty, no --delete) stays in the way: placed now, it fails as rsync's does.
        if let d, d.kind == .directory && !removesDirs && !destDirectoryIsEmpty(d) { return false }
        let key = LinkKey(dev: s.dev, ino: s.ino)
        guard leaderInPlace(key) == nil else { return false }
        // A file at its path in a reference dir gives rsync's generator a basis (or a copy, or a
        // link) before it asks whether the member is the group's last: it is placed now, and leads.
        if referenced { return false }
        // So does a fuzzy basis (-y), found next.
        if options.fuzzy, let opener = basisOpener, fuzzy.find(for: s, opener: opener) != nil { return false }
        let held = heldMembers[key]?.count ?? 0
        if UInt64(held + (skippedMembers[key] ?? 0) + 1) >= s.nlink { return false } // the last link: it leads
        if try !memberInSight(key) { return false } // the last rsync can see (the others are outside the transfer, or far)
        if let d, d.kind != .directory || !removesDirs { // (with --delete a directory went already)
            try emit(Plan(action: .delete, flags: [.replace], entry: Entry(path: d.path, stat: d.stat, kind: d.kind, target: d.target)))
        }
        var flags: ItemFlags = []
        if let d, options.dryRun { flags = attrFlags(s, d.stat).union(d.stat.size != s.size ? [.replace, .size] : .replace) }
        heldMembers[key, default: []].append(HeldMember(entry: s, flags: flags, position: sourcePosition))
        heldQueue.append((key, sourcePosition))
        return true
    }

    /// Places the groups whose last held member is out of rsync's sight (see `lookahead`);
    /// called before each source entry is merged.
    func placeGroupsOutOfSight() throws(SyError) {
        while heldQueueStart < heldQueue.count, heldQueue[heldQueueStart].position + Summer.lookahead < sourcePosition {
            let (key, position) = heldQueue[heldQueueStart]
            heldQueueStart += 1
            if isLastHold(key, position) { try placeGroupAtItsLastHeld(key) }
        }
        if heldQueueStart > 4096 && heldQueueStart * 2 > heldQueue.count {
            heldQueue.removeFirst(heldQueueStart)
            heldQueueStart = 0
        }
    }

    /// Whether the hold at `position` is still the latest of the group `key`'s held members.
    func isLastHold(_ key: LinkKey, _ position: Int) -> Bool {
        heldMembers[key]?.last?.position == position
    }

    /// Whether the destination directory `d` holds nothing (read only in this rare case).
    func destDirectoryIsEmpty(_ d: WalkItem) -> Bool {
        if let l = d.listing { return l.count == 0 }
        guard let opener = basisOpener, let fd = try? opener.openRelative(d.path) else { return false }
        defer { Sys.close(fd) }
        return DirReader.isEmpty(fd)
    }

    /// Links the held members of `s`'s group to `s`, whose plan was just sent (if it leads).
    func placeHeldMembers(of s: Entry) throws(SyError) {
        let key = LinkKey(dev: s.dev, ino: s.ino)
        guard leaders[key]?.path == s.path, let held = heldMembers.removeValue(forKey: key) else { return }
        for m in held.reversed() {
            try emitOutOfTurn(Plan(action: .hardlink, flags: m.flags.union(.outOfTurn), entry: m.entry, linkTo: s.path))
        }
    }

    /// At the end of the stream: each group still held gets its data at its last member.
    func placeUnplacedGroups() throws(SyError) {
        for (key, position) in heldQueue[heldQueueStart...] where isLastHold(key, position) { try placeGroupAtItsLastHeld(key) }
        heldQueue = []
        heldQueueStart = 0
    }

    /// Gives a held group's data to its last held member and links the others to it.
    func placeGroupAtItsLastHeld(_ key: LinkKey) throws(SyError) {
        guard var held = heldMembers[key], let last = held.popLast() else { return }
        var flags: ItemFlags = .outOfTurn
        if !options.times { flags.insert(.timeNow) }
        try emitOutOfTurn(Plan(action: .create, flags: flags, entry: last.entry))
        leaders[key] = Leader(path: last.entry.path, destIno: nil)
        heldMembers[key] = held
        try placeHeldMembers(of: last.entry)
    }

    /// Sends a plan outside the stream's order: the KEEP frames of the current directories are
    /// left as they are (the plan is not inside them).
    func emitOutOfTurn(_ plan: Plan) throws(SyError) {
        if plan.action.carriesData && plan.entry.kind == .file { totals?.planned(bytes: plan.entry.size) }
        plan.encode(into: &out.payload)
        try out.emit(.plan)
    }
}

/// An entry or another record of the source stream, as read.
enum SourceItem {
    case entry(Entry)
    case record(RecordType, PayloadReader)
}

extension Summer {
    /// The next item of the source stream: from those read ahead, else from the stream.
    func nextItem() throws(SyError) -> SourceItem? {
        guard inSightStart < inSight.count else { return try readItem() }
        let item = inSight[inSightStart]
        inSightStart += 1
        if inSightStart == inSight.count {
            inSight.removeAll(keepingCapacity: true)
            inSightStart = 0
        }
        if case .entry = item { inSightEntries -= 1 }
        return item
    }

    /// Reads one item from the stream (an entry decoded straight, not through a `Record`).
    func readItem() throws(SyError) -> SourceItem? {
        guard let type = try input.next() else { return nil }
        var r = input.reader()
        guard type == .entry else { return .record(type, r) }
        let e = try Entry.decode(&r)
        try r.expectEnd()
        if holdsLinkMembers && e.kind == .file && e.isLinkCandidate { inSightKeys[LinkKey(dev: e.dev, ino: e.ino), default: 0] += 1 }
        return .entry(e)
    }

    /// The merge is past `e`: it no longer counts as a member ahead.
    func passed(_ e: Entry) {
        guard holdsLinkMembers && e.kind == .file && e.isLinkCandidate else { return }
        let key = LinkKey(dev: e.dev, ino: e.ino)
        if let n = inSightKeys[key] { inSightKeys[key] = n > 1 ? n - 1 : nil }
    }

    /// Whether another member of the group `key` is among the next `lookahead` entries of the
    /// stream (what rsync's generator can see of its sender's list), or among those read
    /// ahead already. Reads them ahead; they are dealt with in their turn.
    func memberInSight(_ key: LinkKey) throws(SyError) -> Bool {
        while inSightEntries < Summer.lookahead, let item = try readItem() {
            inSight.append(item)
            if case .entry = item { inSightEntries += 1 }
        }
        return (inSightKeys[key] ?? 0) > 0
    }
}

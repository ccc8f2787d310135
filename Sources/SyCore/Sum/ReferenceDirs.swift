import Glibc

/// `--link-dest` and `--compare-dest` directories: relative ones are relative to the
/// destination, as in rsync (resolved by name, since the destination may not exist yet).
public enum ReferenceDirs {
    public static func resolve(_ dir: PathBytes, destination: PathBytes) -> PathBytes {
        if dir.first == 0x2F { return dir }
        var parts = destination.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init)
        let absolute = destination.first == 0x2F
        for comp in dir.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init) {
            if comp == [0x2E] { continue }
            if comp == [0x2E, 0x2E], let last = parts.last, last != [0x2E, 0x2E] { parts.removeLast(); continue }
            parts.append(comp)
        }
        let joined = parts.map { $0 }.joined(separator: [0x2F])
        let path = (absolute ? [0x2F] : []) + Array(joined)
        return path.isEmpty ? [0x2E] : path
    }
}

/// rsync's try_dests_reg and try_dests_non: how a new entry is matched with the same path in
/// the --compare-dest, --link-dest and --copy-dest directories.
extension Summer {
    /// A new entry's best match in the reference dirs: `level` 1 the same kind, 2 its quick
    /// check passes too, 3 and every preserved attribute is the same (times included).
    struct ReferenceMatch {
        var ref: Reference
        var st: FileStat
        var level: Int
    }

    /// rsync's try_dests_reg and try_dests_non: the best match at `s`'s path, the first at that
    /// level; nil without reference dirs.
    func referenceMatch(_ s: Entry) -> ReferenceMatch? {
        guard hasReferences else { return nil }
        var best: ReferenceMatch?
        for ref in referenceDirs {
            // (Each look in a refused directory is refused again, as rsync's are: for files,
            // links and devices, not for directories.)
            if ref.refused && s.kind != .directory { warn(TrustedPath.refusal, prefixed: false) }
            guard let (dir, st) = referenceEntry(ref, s.path), st.kind == s.kind else { continue }
            var level = 1
            if referenceQuickCheck(s, dir, st) { level = sameAttributes(s, st) ? 3 : 2 }
            if level > (best?.level ?? 0) { best = ReferenceMatch(ref: ref, st: st, level: level) }
            if level == 3 { break }
        }
        return best
    }

    /// rsync's quick_check_ok for an entry of `s`'s kind in a reference dir (`dir` holds it): a
    /// file the same size and then the same whole-file sum (-c), nothing more (--size-only),
    /// never (-I), or the same time; a symlink the same target; a device the same number.
    func referenceQuickCheck(_ s: Entry, _ dir: Int32, _ st: FileStat) -> Bool {
        switch s.kind {
        case .file:
            guard st.size == s.size else { return false }
            if options.checksum {
                guard let want = s.checksum, let got = try? Scanner.hashFile(dir, PathOps.base(s.path), hasher) else { return false }
                return got == want
            }
            if options.sizeOnly { return true }
            if options.ignoreTimes { return false }
            return sameTime(s, st)
        case .symlink: return (try? FakeStat.linkTarget(dir, PathOps.base(s.path))) == s.target
        case .charDevice, .blockDevice: return st.rdev == s.rdev
        case .directory, .fifo, .socket: return true
        }
    }

    /// For a new entry (`match`: its `referenceMatch`): `.some(nil)` if a --compare-dest copy
    /// makes it unnecessary, `.some(plan)` to link or copy a reference's, nil to make it.
    func referencePlan(_ s: Entry, _ match: ReferenceMatch?) -> Plan?? {
        guard s.kind != .directory, let m = match else { return nil }
        if s.kind != .file {
            // rsync's try_dests_non: an entry the same in every way stands for the new one:
            // --link-dest links it, --copy-dest makes it anew (both saying nothing), and with
            // --compare-dest nothing is made.
            guard m.level == 3 else { return nil }
            if options.copyReferences { return .some(Plan(action: .create, flags: options.times ? [.referenced] : [.referenced, .timeNow], entry: s)) }
            if !m.ref.link { return .some(nil) }
            return .some(Plan(action: .hardlink, flags: [.linkDest, .reference(m.ref.index)], entry: s, linkTo: s.path))
        }
        // rsync's try_dests_reg: a file identical in every preserved attribute, times included,
        // is linked (--link-dest) or stands for the new one (--compare-dest); one that passes
        // the quick check only (or any with --copy-dest) is copied from there (`cf`).
        guard m.level >= 2 else { return nil }
        if m.level == 3 && !options.copyReferences {
            if !m.ref.link { return .some(nil) }
            return .some(Plan(action: .hardlink, flags: [.linkDest, .reference(m.ref.index)], entry: s, linkTo: s.path))
        }
        return .some(Plan(action: .hardlink, flags: referenceFlags(s, m.st).union([.linkDest, .reference(m.ref.index), .localCopy]),
                          entry: s, linkTo: s.path))
    }

    /// The reference dir's file a --link-dest hard-link plan links to.
    func referenceInode(of plan: Plan) -> LinkKey? {
        guard let ref = referenceDirs.first(where: { $0.index == plan.flags.referenceIndex }),
              let (_, st) = referenceEntry(ref, plan.entry.path) else { return nil }
        return LinkKey(dev: st.dev, ino: st.ino)
    }

    /// rsync itemizes a new entry made anew against the reference dirs' one of its kind
    /// (`match`): what differs, or (a directory the same in every preserved attribute) nothing.
    func markReferenced(_ plan: inout Plan, _ match: ReferenceMatch?) {
        let s = plan.entry
        guard let m = match else { return }
        if s.kind != .file && s.kind != .directory {
            // A symlink, device or special file made anew: rsync reports its change (`cLc.t......`).
            plan.flags.formUnion(referenceFlags(s, m.st).union([.referenced, .value]))
            return
        }
        plan.flags.insert(.referenced)
        if !(s.kind == .directory && m.level == 3) { plan.flags.formUnion(referenceFlags(s, m.st)) }
        // A file sent against the reference's (its quick check failed): -c reports the change, as rsync's.
        if s.kind == .file && options.checksum { plan.flags.insert(.checksum) }
    }

    /// rsync's unchanged_attrs against a reference entry: as `attrFlags`, but a directory's time
    /// counts even with -O (only -J leaves a symlink's out).
    func sameAttributes(_ s: Entry, _ st: FileStat) -> Bool {
        if s.kind == .directory && options.times && options.omitDirTimes && !sameTime(s, st) { return false }
        return attrFlags(s, st).isEmpty
    }

    /// What rsync's itemize shows for a new entry against a reference entry `st`. A time -O or
    /// -J leaves alone is not compared: rsync reports it for any such local change (`cd..t......`).
    func referenceFlags(_ s: Entry, _ st: FileStat) -> ItemFlags {
        var f = attrFlags(s, st)
        if s.kind == .file && s.size != st.size { f.insert(.size) }
        if !options.times { f.insert(.timeNow) }
        if options.times && ((s.kind == .directory && options.omitDirTimes) || (s.kind == .symlink && options.omitLinkTimes)) {
            f.insert(.time)
        }
        return f
    }

    /// rsync's try_dests_reg for a file the destination has (before its quick check): a reference
    /// copy identical in every preserved attribute replaces it. --link-dest: a hard link to the
    /// reference (unless it is one already); --compare-dest: the destination's copy goes, the
    /// reference stands for it. Both quietly, as rsync's. Never with --copy-dest.
    func existingReferencePlan(_ s: Entry, _ d: WalkItem) -> Plan? {
        guard !options.copyReferences, hasReferences, d.kind == .file else { return nil }
        for ref in referenceDirs {
            guard let (dir, st) = referenceEntry(ref, s.path), st.kind == .file,
                  referenceQuickCheck(s, dir, st), attrFlags(s, st).isEmpty else { continue }
            if !ref.link { return Plan(action: .delete, flags: [.replace, .linkDest], entry: Entry(path: d.path, stat: d.stat, kind: d.kind)) }
            if st.dev == d.stat.dev && st.ino == d.stat.ino { return nil }
            return Plan(action: .hardlink, flags: [.linkDest, .reference(ref.index), .replace], entry: s, linkTo: s.path)
        }
        return nil
    }

    /// `refused`: reached through another user's symlink (rsync 3.5 refuses each look there).
    struct Reference { var stack: DirStack; var link: Bool; var index: Int; var refused = false }

    /// Whether --link-dest, --compare-dest or --copy-dest dirs were given.
    var hasReferences: Bool { !(options.linkDests.isEmpty && options.compareDests.isEmpty) }

    /// The reference dirs, opened on first use.
    var referenceDirs: [Reference] {
        if references == nil { references = openReferences() }
        return references!
    }

    /// The entry at `path` in a reference dir (its last name not followed), and its directory's fd.
    func referenceEntry(_ ref: Reference, _ path: PathBytes) -> (dir: Int32, st: FileStat)? {
        if ref.refused { return nil }
        guard let dir = try? ref.stack.fd(for: PathOps.parent(path)), let st = try? Sys.fstatat(dir, PathOps.base(path)) else { return nil }
        return (dir, st)
    }

    func openReferences() -> [Reference] {
        var refs: [Reference] = []
        let all = options.compareDests.enumerated().map { ($1, false, $0) } + options.linkDests.enumerated().map { ($1, true, $0) }
        for (path, link, index) in all {
            let dir = ReferenceDirs.resolve(path, destination: destination)
            if !options.insecureLinks, TrustedPath.untrustedLink(in: dir) != nil {
                // (Not looked in: each look is refused, as rsync's are, and the file is sent.)
                warn(TrustedPath.refusal, prefixed: false)
                refs.append(Reference(stack: DirStack(rootFd: -1, followLinks: false), link: link, index: index, refused: true))
                continue
            }
            guard let fd = try? Sys.openat(Sys.atFDCWD, dir, O_RDONLY | O_DIRECTORY) else {
                warn("--\(link ? "link" : "compare")-dest arg does not exist: \(path.displayName)")
                continue
            }
            // Looked up as rsync does (a path below DIR): symlinks to directories on the way are followed.
            refs.append(Reference(stack: DirStack(rootFd: fd, followLinks: true), link: link, index: index))
        }
        return refs
    }
}

/// What `sy-sum` decided for one entry.
public enum PlanAction: UInt8, Sendable, CaseIterable {
    /// The entry does not exist on the destination: create it (file data follows in a delta stream).
    case create = 1
    /// A regular file whose content differs: transfer it (signatures may follow).
    case update = 2
    /// Content is equal; only attributes (mode, owner, group, mtime) change.
    case attrs = 3
    /// Remove this destination entry (a directory with everything below it).
    case delete = 4
    /// Make this path a hard link to `linkTo`, an earlier path of the same stream.
    case hardlink = 5
    /// A directory that needs no change but frames its children (its mtime is restored after them).
    case keep = 6
    /// An entry kept as is whose existence still counts (dry-run and stats only).
    case unchanged = 7

    public var name: String {
        switch self {
        case .create: return "create"
        case .update: return "update"
        case .attrs: return "attrs"
        case .delete: return "delete"
        case .hardlink: return "hardlink"
        case .keep: return "keep"
        case .unchanged: return "unchanged"
        }
    }

    public init?(name: String) {
        guard let a = PlanAction.allCases.first(where: { $0.name == name }) else { return nil }
        self = a
    }

    /// Whether file data follows this plan in a delta stream.
    public var carriesData: Bool { self == .create || self == .update }
}

/// Which attributes differ, as rsync's itemize string shows them.
public struct ItemFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let checksum = ItemFlags(rawValue: 1 << 0)
    public static let size = ItemFlags(rawValue: 1 << 1)
    public static let time = ItemFlags(rawValue: 1 << 2)
    public static let perms = ItemFlags(rawValue: 1 << 3)
    public static let owner = ItemFlags(rawValue: 1 << 4)
    public static let group = ItemFlags(rawValue: 1 << 5)
    /// The destination holds another type at this path, to be replaced.
    public static let replace = ItemFlags(rawValue: 1 << 6)
    /// A symlink target or device number differs.
    public static let value = ItemFlags(rawValue: 1 << 7)
    /// Set modification time to "now": `-t` not given (rsync's `T`).
    public static let timeNow = ItemFlags(rawValue: 1 << 8)
    /// The signature describes the partial file kept by an interrupted run (`--partial`),
    /// which is the basis instead of the destination file.
    public static let partialBasis = ItemFlags(rawValue: 1 << 9)
    /// A hard link to the same path in a `--link-dest` directory; its index is `referenceIndex`.
    public static let linkDest = ItemFlags(rawValue: 1 << 10)
    /// `--append`: only the source's bytes past `Plan.appendFrom` are sent and written after
    /// the destination's; with `appendVerify` the whole result is checked against the source.
    public static let append = ItemFlags(rawValue: 1 << 11)
    public static let appendVerify = ItemFlags(rawValue: 1 << 12)
    /// Extended attributes (`x`) or POSIX ACLs (`a`) differ (`-X`, `-A`).
    public static let xattrs = ItemFlags(rawValue: 1 << 13)
    public static let acl = ItemFlags(rawValue: 1 << 14)
    /// `-y`: a create whose signature describes `linkTo`, a file in the same destination directory.
    public static let fuzzyBasis = ItemFlags(rawValue: 1 << 15)
    /// Out of stream order: a hard-link group member linked (or its leader created) when a
    /// later member came into place, as rsync does; its directory may be finished already.
    public static let outOfTurn = ItemFlags(rawValue: 1 << 21)
    /// `-U`: the access time differs (rsync's `u`).
    public static let atime = ItemFlags(rawValue: 1 << 22)
    /// A new entry compared with the same entry in a --link-dest/--compare-dest directory: the
    /// other flags say how it differs from that one (rsync's itemize against its basis); with no
    /// other flag it is listed nowhere, as rsync's.
    public static let referenced = ItemFlags(rawValue: 1 << 23)
    /// With `.linkDest`: the reference file passes the quick check but differs in attributes
    /// (or --copy-dest): it is copied from there, not linked, and listed as rsync's `cf`.
    public static let localCopy = ItemFlags(rawValue: 1 << 24)
    /// A hard-link follower whose --link-dest copy is the very file its leader was linked
    /// from: rsync lists it only where it lists what is up to date (-ii, -vv).
    public static let referencedLink = ItemFlags(rawValue: 1 << 25)
    /// rsync's touch_up_dirs: a non-directory left where the source has a directory
    /// (--ignore-existing) gets the directory's time, not following a symlink, unlisted.
    public static let retouch = ItemFlags(rawValue: 1 << 26)
    /// A new file built against the same path in reference directory `referenceIndex`
    /// (rsync's basis from --compare/--copy/--link-dest, one that fails the quick check): the
    /// signature, if any, describes that file, and without -p the new file takes its permissions.
    public static let referenceBasis = ItemFlags(rawValue: 1 << 27)
    /// The flags an item string shows (rsync's significant item flags).
    public static let itemized: ItemFlags = [.checksum, .value, .size, .time, .timeNow, .perms, .owner, .group, .atime, .acl, .xattrs]

    /// The reference directory a `.linkDest` or `.referenceBasis` plan refers to (bits 16-20).
    public var referenceIndex: Int { Int((rawValue >> 16) & 31) }

    public static func reference(_ i: Int) -> ItemFlags { ItemFlags(rawValue: UInt32(i & 31) << 16) }

    static let names: [(ItemFlags, String)] = [
        (.checksum, "checksum"), (.size, "size"), (.time, "time"), (.perms, "perms"), (.owner, "owner"),
        (.group, "group"), (.replace, "replace"), (.value, "value"), (.timeNow, "time-now"), (.partialBasis, "partial-basis"), (.linkDest, "link-dest"),
        (.append, "append"), (.appendVerify, "append-verify"), (.xattrs, "xattrs"), (.acl, "acl"), (.fuzzyBasis, "fuzzy-basis"),
        (.outOfTurn, "out-of-turn"), (.atime, "atime"), (.referenced, "referenced"),
        (.localCopy, "local-copy"), (.referencedLink, "referenced-link"), (.retouch, "retouch"),
        (.referenceBasis, "reference-basis"),
    ]

    public var names: [String] { ItemFlags.names.filter { contains($0.0) }.map(\.1) }

    public init(names: [String]) {
        var f = ItemFlags()
        for (flag, n) in ItemFlags.names where names.contains(n) { f.insert(flag) }
        self = f
    }
}

/// The signature layout that follows a plan in BLOCKS records.
public struct SignatureInfo: Sendable, Equatable {
    public var blockSize: Int
    /// Bytes of strong sum per block (2...16).
    public var strongLength: Int
    /// Size of the destination's copy (the basis) that was summed.
    public var basisSize: Int64

    public init(blockSize: Int, strongLength: Int, basisSize: Int64) {
        self.blockSize = blockSize; self.strongLength = strongLength; self.basisSize = basisSize
    }

    public var blockCount: Int {
        blockSize == 0 ? 0 : Int((basisSize + Int64(blockSize) - 1) / Int64(blockSize))
    }
}

/// A plan: what to do with one entry.
public struct Plan: Sendable, Equatable {
    public var action: PlanAction
    public var flags: ItemFlags
    /// The source entry (for `delete`, the destination entry).
    public var entry: Entry
    /// For `hardlink`: the earlier path to link to.
    public var linkTo: PathBytes
    /// For `update` with a delta: the signature layout; BLOCKS records follow.
    public var signature: SignatureInfo?
    /// With the `append` flag: the destination's size, where the new data starts.
    public var appendFrom: Int64 = 0

    public init(action: PlanAction, flags: ItemFlags = [], entry: Entry, linkTo: PathBytes = [], signature: SignatureInfo? = nil) {
        self.action = action; self.flags = flags; self.entry = entry; self.linkTo = linkTo; self.signature = signature
    }

    func encode(into out: inout [UInt8]) {
        out.append(action.rawValue)
        out.appendVarint(UInt64(flags.rawValue))
        entry.encode(into: &out)
        out.appendBytes(linkTo)
        if let s = signature {
            out.appendVarint(UInt64(s.blockSize))
            out.append(UInt8(s.strongLength))
            out.appendVarint(UInt64(s.basisSize))
        } else {
            out.appendVarint(0)
        }
        if flags.contains(.append) { out.appendVarint(UInt64(appendFrom)) }
    }

    static func decode(_ r: inout PayloadReader) throws(SyError) -> Plan {
        let a = try r.byte()
        guard let action = PlanAction(rawValue: a) else { throw r.fail("unknown plan action \(a)") }
        let flags = ItemFlags(rawValue: UInt32(try r.count(max: UInt64(UInt32.max), "flags")))
        let entry = try Entry.decode(&r)
        let linkOffset = r.baseOffset + UInt64(r.pos)
        let linkTo = try r.bytes(max: Wire.maxPath)
        if action == .hardlink {
            if let p = PathCheck.problem(linkTo) ?? (linkTo == [0x2E] ? "link to root" : nil) {
                throw SyError.stream("unsafe link path '\(linkTo.displayName)': \(p)", offset: linkOffset)
            }
        }
        if flags.contains(.fuzzyBasis) {
            // A name in the entry's own directory, nothing else.
            if let p = PathCheck.problem(linkTo) ?? (linkTo.contains(0x2F) || linkTo == [0x2E] ? "not a plain name" : nil) {
                throw SyError.stream("unsafe basis name '\(linkTo.displayName)': \(p)", offset: linkOffset)
            }
        }
        let bs = try r.count(max: UInt64(SignatureLimits.maxBlock), "block size")
        var sig: SignatureInfo?
        if bs > 0 {
            let sl = try r.strongLength()
            let basis = try r.count(max: UInt64(Int64.max), "basis size")
            guard bs >= SignatureLimits.minBlock else { throw r.fail("block size \(bs) below \(SignatureLimits.minBlock)") }
            sig = SignatureInfo(blockSize: bs, strongLength: sl, basisSize: Int64(basis))
        }
        var plan = Plan(action: action, flags: flags, entry: entry, linkTo: linkTo, signature: sig)
        if flags.contains(.append) {
            plan.appendFrom = Int64(try r.count(max: UInt64(entry.size), "append offset"))
            guard action == .update, sig == nil else { throw r.fail("an append plan must be an update without a signature") }
        }
        try r.expectEnd()
        return plan
    }
}

/// Bounds on signature parameters.
public enum SignatureLimits {
    public static let minBlock = 64
    public static let maxBlock = 16 << 20
    /// Bytes of strong sum per block, at least and at most.
    public static let minStrong = 2
    public static let maxStrong = 16
}

extension PayloadReader {
    /// A strong sum's length byte (a plan's, or a BLOCKS record's), within `SignatureLimits`.
    mutating func strongLength() throws(SyError) -> Int {
        let sl = Int(try byte())
        guard (SignatureLimits.minStrong...SignatureLimits.maxStrong).contains(sl) else {
            throw fail("strong sum length \(sl) out of \(SignatureLimits.minStrong)...\(SignatureLimits.maxStrong)")
        }
        return sl
    }
}

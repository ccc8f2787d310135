import ArgumentParser

/// rsync's preservation flags, shared by sy-sum and sy-apply (`-a` = `-rlptgoD`).
public struct PreserveOptions: ParsableArguments {
    @Flag(name: [.customShort("a"), .customLong("archive")], help: "Archive mode: -rlptgoD.")
    public var archive = false
    @Flag(name: [.customShort("p"), .customLong("perms")], help: "Preserve permissions.")
    public var perms = false
    @Flag(name: [.customShort("t"), .customLong("times")], help: "Preserve modification times.")
    public var times = false
    @Flag(name: [.customShort("o"), .customLong("owner")], help: "Preserve owner (as root).")
    public var owner = false
    @Flag(name: [.customShort("g"), .customLong("group")], help: "Preserve group.")
    public var group = false
    @Flag(name: [.customShort("l"), .customLong("links")], help: "Copy symlinks as symlinks.")
    public var links = false
    @Flag(name: .customShort("D"), help: "Same as --devices --specials.")
    public var devicesAndSpecials = false
    @Flag(name: .customLong("devices"), help: "Preserve device files.")
    public var devices = false
    @Flag(name: .customLong("specials"), help: "Preserve special files.")
    public var specials = false
    @Flag(name: [.customShort("H"), .customLong("hard-links")], help: "Preserve hard links.")
    public var hardLinks = false
    @Flag(name: .customLong("numeric-ids"), help: "Keep numeric uid/gid (always the case locally).")
    public var numericIds = false
    @Flag(name: [.customShort("X"), .customLong("xattrs")], help: "Extended attributes (user.*; as root also trusted.* and security.*).")
    public var xattrs = false
    @Flag(name: [.customShort("A"), .customLong("acls")], help: "POSIX ACLs (implies -p).")
    public var acls = false
    @Flag(name: [.customShort("E"), .customLong("executability")], help: "Preserve executability (without -p).")
    public var executability = false
    @Flag(name: [.customShort("J"), .customLong("omit-link-times")], help: "Omit symlinks from --times.")
    public var omitLinkTimes = false
    @Flag(name: [.customShort("U"), .customLong("atimes")], help: "Preserve access times (whole seconds; not of directories).")
    public var atimes = false

    @Flag(name: .customLong("fake-super"), help: "Keep what needs root (owner, group, set-ID bits, devices, specials, symlinks) in the xattr user.rsync.%stat, as rsync's --fake-super.")
    public var fakeSuper = false
    @Flag(name: .customLong("no-super"), help: "Act as a user who is not root: set no owner, only the process's groups, make no devices.")
    public var noSuper = false

    public init() {}

    public var p: Bool { perms || archive || acls }
    public var xattrSelection: XattrSelection { XattrSelection(xattrs: xattrs, acls: acls) }
    public var t: Bool { times || archive }
    public var o: Bool { owner || archive }
    public var g: Bool { group || archive }
    public var l: Bool { links || archive }
    public var dev: Bool { devices || devicesAndSpecials || archive }
    public var spec: Bool { specials || devicesAndSpecials || archive }
}

import Glibc

/// User and group names for rsync's default id mapping (`--numeric-ids` turns it off).
/// Id 0 is never mapped by name, as in rsync.
public final class IdNames {
    private var sentUsers: Set<UInt32> = [0]
    private var sentGroups: Set<UInt32> = [0]
    private var userByName: [PathBytes: UInt32?] = [:]
    private var groupByName: [PathBytes: UInt32?] = [:]
    /// Sender id -> receiver id, learned from ID-NAME records.
    private var userMap: [UInt32: UInt32] = [:]
    private var groupMap: [UInt32: UInt32] = [:]
    /// Names the sender gave, for --usermap/--groupmap.
    private var senderUsers: [UInt32: PathBytes] = [:]
    private var senderGroups: [UInt32: PathBytes] = [:]

    /// The sender's name for an id, if it sent one.
    public func senderName(group: Bool, id: UInt32) -> PathBytes? { group ? senderGroups[id] : senderUsers[id] }

    public init() {}

    // MARK: Sending side

    /// ID-NAME records to send before an entry with these ids (each id once).
    public func records(uid: UInt32, gid: UInt32) -> [Record] {
        var out: [Record] = []
        if sentUsers.insert(uid).inserted, let n = IdNames.userName(uid) { out.append(.idName(group: false, id: uid, name: n)) }
        if sentGroups.insert(gid).inserted, let n = IdNames.groupName(gid) { out.append(.idName(group: true, id: gid, name: n)) }
        return out
    }

    static func userName(_ uid: UInt32) -> PathBytes? {
        var pw = passwd(), result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &pw, &buf, buf.count, &result) == 0, result != nil, let n = pw.pw_name else { return nil }
        return Array(String(cString: n).utf8)
    }

    static func groupName(_ gid: UInt32) -> PathBytes? {
        var gr = group(), result: UnsafeMutablePointer<group>?
        var buf = [CChar](repeating: 0, count: 4096)
        guard getgrgid_r(gid, &gr, &buf, buf.count, &result) == 0, result != nil, let n = gr.gr_name else { return nil }
        return Array(String(cString: n).utf8)
    }

    // MARK: Receiving side

    /// Learns one sender name; ids whose name is unknown here keep their number.
    public func learn(group: Bool, id: UInt32, name: PathBytes) {
        guard id != 0 else { return }
        if group { senderGroups[id] = name } else { senderUsers[id] = name }
        if group {
            if groupByName[name] == nil { groupByName[name] = IdNames.lookupGroup(name) }
            if let local = groupByName[name] ?? nil { groupMap[id] = local }
        } else {
            if userByName[name] == nil { userByName[name] = IdNames.lookupUser(name) }
            if let local = userByName[name] ?? nil { userMap[id] = local }
        }
    }

    /// The entry with its owner and group mapped to this machine's ids.
    public func map(_ e: inout Entry) {
        if let u = userMap[e.uid] { e.uid = u }
        if let g = groupMap[e.gid] { e.gid = g }
    }

    static func lookupUser(_ name: PathBytes) -> UInt32? {
        var pw = passwd(), result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 4096)
        let rc = withCPath(name) { getpwnam_r($0, &pw, &buf, buf.count, &result) }
        return rc == 0 && result != nil ? pw.pw_uid : nil
    }

    static func lookupGroup(_ name: PathBytes) -> UInt32? {
        var gr = group(), result: UnsafeMutablePointer<group>?
        var buf = [CChar](repeating: 0, count: 4096)
        let rc = withCPath(name) { getgrnam_r($0, &gr, &buf, buf.count, &result) }
        return rc == 0 && result != nil ? gr.gr_gid : nil
    }
}

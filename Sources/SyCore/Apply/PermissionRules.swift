/// How permissions change when they are not copied whole.
enum PermissionRules {
    /// rsync's `-E`: a file becomes executable (x where r is set) if the source is, else loses every x bit.
    static func executability(_ current: UInt32, source: UInt32) -> UInt32 {
        let sourceExec = source & 0o111 != 0, currentExec = current & 0o111 != 0
        if sourceExec == currentExec { return current }
        return sourceExec ? current | ((current & 0o444) >> 2) : current & ~0o111
    }
}

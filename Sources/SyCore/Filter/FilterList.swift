import Glibc

/// The side a filter decision is for: the sender lists, the receiver protects from deletion.
public enum FilterSide: Sendable { case sender, receiver }

/// An ordered rule list with rsync's evaluation: the first matching rule decides, no match
/// means included. `merge` rules are expanded when the list is built; each `dir-merge` rule is
/// a slot filled, directory by directory, with the rules read from that directory's file
/// (innermost first, inherited by subdirectories unless `n`).
public struct FilterList: Sendable {
    /// The global rules, merges expanded; `.dirMerge` rules mark the per-directory slots.
    public private(set) var rules: [FilterRule] = []
    /// `--delete-excluded`: rules that name no side apply to the sender only.
    public private(set) var deleteExcluded = false

    /// Rules read from one directory's merge file.
    struct Layer: Sendable {
        var slot: Int
        /// The directory's transfer path; empty for a directory above the transfer root.
        var dir: PathBytes
        var rules: [FilterRule]
        var inherit: Bool
        /// The file cleared the inherited rules (`!`).
        var clears: Bool
    }
    private var layers: [Layer] = []

    public init(_ rules: [FilterRule] = [], deleteExcluded: Bool = false) {
        self.deleteExcluded = deleteExcluded
        for r in rules { append(r) }
    }

    /// Parses rules in `--filter` syntax, reading `merge` files through `read` (a path, or `-`).
    public init(parsing texts: [String], deleteExcluded: Bool = false,
                read: (String) throws(SyError) -> [UInt8] = FilterList.readFile) throws(SyError) {
        self.deleteExcluded = deleteExcluded
        for t in texts { try add(FilterRule.parse(t), read: read, depth: 0) }
    }

    public var isEmpty: Bool { rules.isEmpty }
    /// The transfer root's absolute path, for rules with the `/` modifier (rsync's current
    /// directory: the first source's, or the destination).
    public var absoluteRoot: PathBytes = []
    /// Whether some rule reads per-directory files (`enter(directory:read:)` matters).
    /// (Kept as rules are added: the scan asks for every directory.)
    public private(set) var hasDirMerge = false
    /// The rules in `--filter` syntax, merges expanded.
    public var texts: [String] { rules.map(\.text) }

    private mutating func append(_ rule: FilterRule) {
        var r = rule
        if deleteExcluded && !r.sideGiven && (r.action == .include || r.action == .exclude) { r.receiver = false }
        if r.action == .clear { rules.removeAll(); hasDirMerge = false; return }
        if r.action == .exclude && r.cvs {
            for p in FilterList.cvsDefaults() {
                var c = FilterRule(include: false, pattern: p)
                c.origin = .cvs
                c.perishable = true
                c.sender = r.sender; c.receiver = r.receiver; c.sideGiven = r.sideGiven
                append(c)
            }
            return
        }
        if r.action == .dirMerge { hasDirMerge = true }
        rules.append(r)
    }

    private mutating func add(_ rule: FilterRule, read: (String) throws(SyError) -> [UInt8], depth: Int) throws(SyError) {
        switch rule.action {
        case .merge:
            guard depth < 16 else { throw SyError("merge files nested too deeply at '\(rule.patternText)'", status: .syntax) }
            let name = rule.patternText
            for r in try FilterList.rules(in: read(name), merge: rule) { try add(r, read: read, depth: depth + 1) }
            if rule.excludeSelf { append(FilterRule(include: false, pattern: "/" + String(PathOps.base(rule.pattern).displayName))) }
        case .dirMerge:
            append(rule)
            if rule.excludeSelf { append(FilterRule(include: false, pattern: RawArguments.decode(PathOps.base(rule.pattern)))) }
        default:
            append(rule)
        }
    }

    /// Whether `path` (a transfer path; `.` never is) is excluded for `side`. `deleting`: the
    /// path is inside a directory being deleted, where perishable rules do not count.
    public func excludes(_ path: PathBytes, isDirectory: Bool, side: FilterSide = .sender, deleting: Bool = false) -> Bool {
        if path == [0x2E] || rules.isEmpty { return false }
        var parent: PathBytes?
        for (slot, r) in rules.enumerated() {
            if r.action == .dirMerge {
                if parent == nil { parent = PathOps.parent(path) }
                if let d = decideLayers(slot: slot, parent: parent!, path, isDirectory, side, deleting) { return d }
                continue
            }
            if let d = FilterList.decide(r, path, isDirectory, side, deleting, absoluteRoot) { return d }
        }
        return false
    }

    /// The rule that decides `path` for `side`, as `excludes` finds it, and the name of the
    /// per-directory merge file it came from (for -vv's notes); nil where no rule matches.
    public func decidingRule(_ path: PathBytes, isDirectory: Bool, side: FilterSide = .sender) -> (rule: FilterRule, perDir: PathBytes?)? {
        if path == [0x2E] || rules.isEmpty { return nil }
        let parent = PathOps.parent(path)
        for (slot, r) in rules.enumerated() {
            if r.action == .dirMerge {
                var i = layers.count - 1
                while i >= 0 {
                    let l = layers[i]
                    i -= 1
                    guard l.slot == slot, FilterList.applies(l, to: parent) else { continue }
                    for lr in l.rules where FilterList.decide(lr, path, isDirectory, side, false, absoluteRoot) != nil {
                        return (lr, PathOps.base(r.pattern))
                    }
                    if l.clears { break }
                }
                continue
            }
            if FilterList.decide(r, path, isDirectory, side, false, absoluteRoot) != nil { return (r, nil) }
        }
        return nil
    }

    /// rsync's -vv note on what the filters do with `path` (its debug FILTER line), or nil
    /// where no rule decides it: on the sending side "[sender] hiding file x.o because of
    /// pattern *.o" ("showing" for an include rule), on the receiving side, where deletions
    /// look, "[generator] protecting ..." ("risking").
    public func note(_ path: PathBytes, isDirectory: Bool, side: FilterSide = .sender) -> String? {
        guard let (rule, perDir) = decidingRule(path, isDirectory: isDirectory, side: side) else { return nil }
        let excludes = rule.action == .exclude
        let who = side == .sender ? "sender" : "generator"
        let verb = side == .sender ? (excludes ? "hiding" : "showing") : (excludes ? "protecting" : "risking")
        let type = perDir.map { " [per-dir \($0.displayName)]" } ?? ""
        return "[\(who)] \(verb) \(isDirectory ? "directory" : "file") \(path.displayName) because of pattern \(rule.notePattern)\(type)"
    }

    @inline(__always)
    static func decide(_ r: FilterRule, _ path: PathBytes, _ isDir: Bool, _ side: FilterSide, _ deleting: Bool,
                       _ root: PathBytes) -> Bool? {
        guard side == .sender ? r.sender : r.receiver else { return nil }
        if deleting && r.perishable { return nil }
        guard r.action == .exclude || r.action == .include else { return nil }
        return r.matches(path, isDirectory: isDir, root: root) ? r.action == .exclude : nil
    }

    private func decideLayers(slot: Int, parent: PathBytes, _ path: PathBytes, _ isDir: Bool, _ side: FilterSide, _ deleting: Bool) -> Bool? {
        var i = layers.count - 1
        while i >= 0 {
            let l = layers[i]
            i -= 1
            guard l.slot == slot, FilterList.applies(l, to: parent) else { continue }
            for r in l.rules { if let d = FilterList.decide(r, path, isDir, side, deleting, absoluteRoot) { return d } }
            if l.clears { break }
        }
        return nil
    }

    static func applies(_ l: Layer, to parent: PathBytes) -> Bool {
        if l.dir == parent { return true }
        guard l.inherit else { return false }
        return l.dir.isEmpty || PathOps.isInside(parent, l.dir)
    }

    /// Reads the per-directory merge files of directory `dir` (a transfer path) through
    /// `read(name)`, which returns a file's bytes in that directory or nil if there is none.
    public mutating func enter(directory dir: PathBytes, read: (PathBytes) -> [UInt8]?) {
        guard hasDirMerge else { return }
        while let l = layers.last, !(l.dir.isEmpty || l.dir == dir || PathOps.isInside(dir, l.dir)) { layers.removeLast() }
        for (slot, r) in rules.enumerated() where r.action == .dirMerge {
            var bytes = read(PathOps.base(r.pattern))
            // A repository's own excludes count below its .gitignore (git's order).
            if r.gitStyle, let info = read(Array(".git/info/exclude".utf8)) {
                bytes = info + [0x0A] + (bytes ?? [])
            }
            guard let bytes else { continue }
            pushLayer(slot: slot, rule: r, dir: dir, bytes: bytes, anchorPrefix: dir == [0x2E] ? [] : dir + [0x2F])
        }
    }

    /// Enters directory `dir` (a transfer path), reading its merge files below `fd` (open on it).
    public mutating func enter(directory dir: PathBytes, fd: Int32) {
        guard hasDirMerge else { return }
        enter(directory: dir) { name in FilterFiles.read(fd, name) }
    }

    /// For `dir-merge` rules whose file name starts with `/`: reads the file in every directory
    /// from `/` down to `root` (an absolute path), before the walk, as rsync does.
    /// `includingRoot`: the root is not itself walked as `.` (a source named without a slash).
    public mutating func scanParents(of root: PathBytes, includingRoot: Bool,
                                     read: (_ dir: PathBytes, _ name: PathBytes) -> [UInt8]?) {
        guard rules.contains(where: { $0.action == .dirMerge && $0.pattern.first == 0x2F }) else { return }
        var dirs: [PathBytes] = [[0x2F]]
        var i = 1
        while i <= root.count {
            if i == root.count || root[i] == 0x2F { if i > 1 { dirs.append(Array(root[..<i])) } }
            i += 1
        }
        if !includingRoot { dirs.removeLast() }
        for d in dirs {
            // The root's own path below `d`: anchored patterns must start with it to apply.
            let below: PathBytes = d == root ? [] : Array(root.dropFirst(d == [0x2F] ? 1 : d.count + 1))
            for (slot, r) in rules.enumerated() where r.action == .dirMerge && r.pattern.first == 0x2F {
                guard let bytes = read(d, PathOps.base(r.pattern)) else { continue }
                pushLayer(slot: slot, rule: r, dir: [], bytes: bytes, anchorStrip: below)
            }
        }
    }

    private mutating func pushLayer(slot: Int, rule: FilterRule, dir: PathBytes, bytes: [UInt8],
                                    anchorPrefix: PathBytes = [], anchorStrip: PathBytes = []) {
        let parsed: [FilterRule]
        if rule.gitStyle {
            parsed = GitIgnore.rules(in: bytes, template: rule)
        } else {
            do { parsed = try FilterList.rules(in: bytes, merge: rule) } catch {
                warn(error.message)
                return
            }
        }
        var layer = Layer(slot: slot, dir: dir, rules: [], inherit: !rule.noInherit, clears: false)
        for var r in parsed {
            switch r.action {
            case .clear: layer.rules.removeAll(); layer.clears = true; continue
            case .merge, .dirMerge: warn("ignoring nested merge rule '\(r.text)' in a per-directory file"); continue
            default: break
            }
            if deleteExcluded && !r.sideGiven { r.receiver = false }
            if r.anchored {
                if !anchorStrip.isEmpty {
                    guard r.pattern.starts(with: anchorStrip + [0x2F]) else { continue }
                    r.dropAnchorPrefix(anchorStrip.count + 1)
                }
                if !anchorPrefix.isEmpty { r.anchor(below: anchorPrefix) }
            }
            layer.rules.append(r)
        }
        if rule.excludeSelf && !layer.clears {
            var own = FilterRule(include: false, pattern: RawArguments.decode(PathOps.base(rule.pattern)))
            if deleteExcluded { own.receiver = false }
            layer.rules.insert(own, at: 0)
        }
        layers.append(layer)
    }

    /// The rules in a merge file's bytes, read as `merge` says (`+`/`-` lists, word split, CVS).
    static func rules(in bytes: [UInt8], merge: FilterRule) throws(SyError) -> [FilterRule] {
        var items: [String] = []
        if merge.wordSplit {
            items = bytes.split(whereSeparator: { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }).map { RawArguments.decode($0) }
        } else {
            for line in bytes.split(separator: 0x0A) {
                var l = RawArguments.decode(line)
                if l.hasSuffix("\r") { l.removeLast() }
                if l.isEmpty || l.hasPrefix("#") || l.hasPrefix(";") { continue }
                items.append(l)
            }
        }
        var template = merge
        template.action = .exclude
        var out: [FilterRule] = []
        var i = 0
        while i < items.count {
            let item = items[i]
            i += 1
            if let kind = merge.linesAre {
                if item == "!" && merge.cvs { out.append(FilterRule(action: .clear)); continue }
                var r = FilterRule(include: kind == .include, pattern: item)
                r.sender = merge.sender; r.receiver = merge.receiver; r.sideGiven = merge.sideGiven
                r.perishable = merge.perishable || merge.cvs
                r.origin = .file
                out.append(r)
                continue
            }
            var text = item
            // Word-split prefixes: "- foo" arrives as two words.
            if merge.wordSplit && item.utf8.count <= 2 && i < items.count && item != "!" { text = item + " " + items[i]; i += 1 }
            var r = try FilterRule.parse(text, template: template)
            r.origin = .file
            out.append(r)
        }
        return out
    }

    /// `path` made absolute as rsync keeps its current directory: the working directory joined
    /// with it, `.` and empty components dropped, `..` taking one off (no symlink resolved).
    /// Both the `/` modifier and the `dir-merge /NAME` files above a transfer go by it.
    public static func absolutePath(_ path: PathBytes) -> PathBytes {
        let full = path.first == 0x2F ? path : Array(currentDirectory().utf8) + [0x2F] + path
        var parts: [ArraySlice<UInt8>] = []
        for c in full.split(separator: 0x2F) {
            if c.elementsEqual([0x2E]) { continue }
            if c.elementsEqual([0x2E, 0x2E]) { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(c)
        }
        var out: PathBytes = []
        for c in parts { out.append(0x2F); out += c }
        return out.isEmpty ? [0x2F] : out
    }

    /// Reads a merge file (`-` is standard input).
    public static func readFile(_ name: String) throws(SyError) -> [UInt8] {
        do throws(Errno) {
            let fd = name == "-" ? 0 : try TrustedPath.open(name.pathBytes, O_RDONLY)
            defer { if fd != 0 { Sys.close(fd) } }
            return try Sys.readAll(fd)
        } catch {
            throw SyError.sys("failed to open exclude file", name, error.code, status: .fileIO)
        }
    }

    /// rsync's `-C` list, with `$HOME/.cvsignore` and `$CVSIGNORE` added.
    static func cvsDefaults() -> [String] {
        var list = RsyncArgs.cvsExcludes
        if let home = getenv("HOME"), let b = try? readFile(String(cString: home) + "/.cvsignore") {
            list += b.split(whereSeparator: { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }).map { RawArguments.decode($0) }
        }
        if let env = getenv("CVSIGNORE") {
            list += String(cString: env).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        }
        return list
    }
}

extension FilterRule {
    var patternText: String { String(decoding: pattern, as: UTF8.self) }
}

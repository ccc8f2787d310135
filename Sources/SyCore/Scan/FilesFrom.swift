import Glibc

/// `--files-from`: a list of names, one per line (or NUL-terminated with `--from0`).
public enum FilesFrom {
    /// Reads the list in `file` (`-`: standard input). Empty lines and, in line mode, lines
    /// starting with `#` or `;` are skipped; each name is kept below the source (`sanitized`).
    public static func read(_ file: String, nulSeparated: Bool) throws(SyError) -> [PathBytes] {
        let bytes: [UInt8]
        do throws(Errno) {
            let fd = file == "-" ? 0 : try TrustedPath.open(file.pathBytes, O_RDONLY)
            defer { if fd != 0 { Sys.close(fd) } }
            bytes = try Sys.readAll(fd, limit: Int.max)
        } catch {
            // (rsync's exit 1: the list is part of the command line.)
            throw SyError.sys("failed to open files-from file", file, error.code, status: .syntax)
        }
        return parse(bytes, nulSeparated: nulSeparated)
    }

    /// A name with `/./` becomes a source of its own for the stages that open files, given
    /// on their command lines: such names must be UTF-8.
    public static func checkNamedFrom(_ names: [PathBytes]) throws(SyError) {
        for n in names where RelativeSources.dotSlash(in: n) != nil && String(validating: n, as: UTF8.self) == nil {
            throw SyError("--files-from: a name with /./ that is not UTF-8: \(n.displayName)", status: .syntax)
        }
    }

    public static func parse(_ bytes: [UInt8], nulSeparated: Bool) -> [PathBytes] {
        var names: [PathBytes] = []
        for piece in bytes.split(separator: nulSeparated ? 0 : 0x0A, omittingEmptySubsequences: true) {
            var name = Array(piece)
            if !nulSeparated {
                if name.last == 0x0D { name.removeLast() }
                if name.first == 0x23 || name.first == 0x3B { continue }
            }
            if name.isEmpty { continue }
            names.append(sanitized(name))
        }
        return names
    }

    /// rsync's sanitize_path for a listed name: leading and repeated `/` dropped, `..` taking
    /// off the component before it (never going above the source), `.` components and a
    /// trailing `/` kept (they mean something to -R); nothing left is `.`.
    static func sanitized(_ name: PathBytes) -> PathBytes {
        var out: [ArraySlice<UInt8>] = []
        let comps = name.split(separator: 0x2F, omittingEmptySubsequences: true)
        for c in comps {
            if c.elementsEqual([0x2E, 0x2E]) { if !out.isEmpty { out.removeLast() }; continue }
            out.append(c)
        }
        if out.isEmpty { return [0x2E] }
        var r = Array(out.joined(separator: [0x2F]))
        if name.last == 0x2F && !(comps.last?.elementsEqual([0x2E, 0x2E]) ?? false) { r.append(0x2F) }
        return r
    }
}

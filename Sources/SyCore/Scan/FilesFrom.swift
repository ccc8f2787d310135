import Glibc

/// `--files-from`: a list of names, one per line (or NUL-terminated with `--from0`).
public enum FilesFrom {
    /// Reads the list in `file` (`-`: standard input). Empty lines and, in line mode, lines
    /// starting with `#` or `;` are skipped; a leading `/` is dropped (names are below the source).
    public static func read(_ file: String, nulSeparated: Bool) throws(SyError) -> [PathBytes] {
        let bytes: [UInt8]
        do throws(Errno) {
            let fd = file == "-" ? 0 : try Sys.openat(Sys.atFDCWD, file.pathBytes, O_RDONLY)
            defer { if fd != 0 { Sys.close(fd) } }
            bytes = try Sys.readAll(fd, limit: Int.max)
        } catch {
            throw SyError.sys("failed to open files-from file", file, error.code, status: .fileIO)
        }
        return parse(bytes, nulSeparated: nulSeparated)
    }

    public static func parse(_ bytes: [UInt8], nulSeparated: Bool) -> [PathBytes] {
        var names: [PathBytes] = []
        for piece in bytes.split(separator: nulSeparated ? 0 : 0x0A, omittingEmptySubsequences: true) {
            var name = Array(piece)
            if !nulSeparated {
                if name.last == 0x0D { name.removeLast() }
                if name.first == 0x23 || name.first == 0x3B { continue }
            }
            while name.first == 0x2F { name.removeFirst() }
            if name.isEmpty { continue }
            names.append(name)
        }
        return names
    }
}

import Dispatch
import Glibc

/// A remote shell's stderr read here: lines after `LogFile.relayMarker` go to the local log
/// file (a push's `--log-file`, written where the command line runs, as rsync's), the rest
/// to our stderr as they come.
final class StderrRelay: @unchecked Sendable {
    /// The pipe's write end, for the remote shell's fd 2 (closed here once it has started).
    let writeEnd: Int32
    private let readEnd: Int32
    private let log: Int32
    private let done = DispatchSemaphore(value: 0)
    private var finished = false

    init(logPath: String) throws(SyError) {
        // As rsync: a log file that cannot be opened is said and done without (its lines dropped).
        do { log = try Sys.openat(Sys.atFDCWD, logPath.pathBytes, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) } catch {
            LogFile.ignore(SyError.sys("failed to open log-file", logPath, error.code, status: .fileIO))
            log = -1
        }
        let p: (read: Int32, write: Int32)
        do { p = try makePipe() } catch { if log >= 0 { Sys.close(log) }; throw error }
        readEnd = p.read; writeEnd = p.write
        Thread.detach { [self] in relay(); done.signal() }
    }

    /// The remote shell has its copy of the write end: ours goes, so EOF comes when it exits.
    func started() { Sys.close(writeEnd) }

    /// Waits until the remote shell's stderr has ended and everything is written.
    func finish() {
        guard !finished else { return }
        finished = true
        done.wait()
        Sys.close(readEnd)
        if log >= 0 { Sys.close(log) }
    }

    private func relay() {
        let marker = Array(LogFile.relayMarker.utf8)
        var pending: [UInt8] = []
        let size = 1 << 16
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buf.deallocate() }
        func emit(_ line: ArraySlice<UInt8>) {
            let isLog = line.starts(with: marker)
            if isLog && log < 0 { return }
            let bytes = isLog ? Array(line.dropFirst(marker.count)) : Array(line)
            bytes.withUnsafeBytes { b in try? Sys.writeAll(isLog ? log : 2, b.baseAddress!, b.count) }
        }
        while let n = try? Sys.read(readEnd, buf, size), n > 0 {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: buf, count: n))
            var start = 0
            while let nl = pending[start...].firstIndex(of: 0x0A) {
                emit(pending[start...nl])
                start = nl + 1
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty { emit(pending[...]) }
    }
}

/// The modification time sy-apply gives a file it changed in place but could not verify
/// (an --append-verify or --inplace mismatch): never the source's in whole seconds, so no
/// quick check takes it for up to date, and the second pass's sy-sum knows it for one to
/// redo (rsync's second pass redoes only the files that failed, nothing else).
public enum FailedMark {
    /// The time to set on a file whose source has modification time `sourceSec`.
    public static func seconds(forSource sourceSec: Int64) -> Int64 {
        sourceSec > 1 << 20 ? 0 : 1 << 30
    }

    /// Whether a destination file's time is the mark.
    public static func isMarked(_ st: FileStat) -> Bool {
        st.mtimeNsec == 0 && (st.mtimeSec == 0 || st.mtimeSec == 1 << 30)
    }
}

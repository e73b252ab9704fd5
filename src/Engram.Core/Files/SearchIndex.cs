using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Engram.Core.Search;

namespace Engram.Core.Storage
{
    /// <summary>
    /// The file store's full-text index, one per namespace under <c>_index/&lt;namespace&gt;/</c>: an immutable
    /// segment (<see cref="SearchSegment"/>) and the append-only log of what was written since (<see cref="SearchLog"/>).
    /// Derived data: every record holds what the scan would compute from the memory (its content hash and term counts,
    /// <see cref="TermCounts"/>), so a search answers from it with the scan's exact scores.
    /// </summary>
    /// <remarks>
    /// <para>Writers (holding the store's lock) append one record per memory written or removed, inside the same commit
    /// as the memory (<see cref="FileWriteSession"/>): the single-memory fast path appends it next to the history entry,
    /// before the memory file is renamed in (so a crash can leave the log's last record ahead of the memory, never
    /// behind); the journal path appends (or compacts) through the transaction. Before appending, a writer checks the
    /// log's last record against its memory file and corrects it (<see cref="Prepare"/>): so only the last record can
    /// ever disagree, and readers check that one too.</para>
    /// <para>When the log outgrows a quarter of the segment (at least <see cref="MinLogBytes"/>), the writer merges both
    /// into a new segment (generation + 1), then replaces the log by an empty one naming it, then deletes the old
    /// segment: a crash at any point leaves a log naming a segment that exists.</para>
    /// <para>A namespace with no index (a store from before it, or a damaged index) is indexed from its memory files by
    /// its next writer; until then searches read every memory (<see cref="FileStorage.FindText"/> answers null).</para>
    /// </remarks>
    internal sealed partial class SearchIndex
    {
        internal const string Folder = "_index";
        internal const string LogName = "log";
        internal const string SegmentPrefix = "seg-";
        /// <summary>A log is compacted once it is larger than this and than a quarter of its segment.</summary>
        internal const long DefaultMinLogBytes = 256 * 1024;

        private readonly FileStorage S;

        public SearchIndex(FileStorage storage) { S = storage; }

        /// <summary>The smallest log that is compacted (<see cref="DefaultMinLogBytes"/>; tests lower it to cover
        /// segments and compactions without writing megabytes).</summary>
        internal long MinLogBytes { get; set; } = DefaultMinLogBytes;

        public string Dir(string ns) => S.Paths.Proven(Path.Combine(S.Root, Folder, ns));
        public string LogPath(string ns) => S.Paths.Proven(Path.Combine(S.Root, Folder, ns, LogName));
        public string SegmentPath(string ns, long generation) =>
            S.Paths.Proven(Path.Combine(S.Root, Folder, ns, SegmentPrefix + generation.ToString(CultureInfo.InvariantCulture)));

        internal bool ShouldCompact(long logBytes, long segmentBytes) => logBytes > Math.Max(MinLogBytes, segmentBytes / 4);

        // ------------------------------------------------------------------ a namespace's state

        /// <summary>A namespace's index as one reader sees it: the segment and, per key, the newest log record.</summary>
        internal sealed class State
        {
            public State(long generation, SearchSegment? segment, Dictionary<string, SearchLogRecord> latest)
            {
                Generation = generation;
                Segment = segment;
                Latest = latest;
            }

            public long Generation { get; }
            public SearchSegment? Segment { get; }
            public Dictionary<string, SearchLogRecord> Latest { get; }

            /// <summary>Every memory the index holds, sorted by key (code points); then <paramref name="then"/> applied.</summary>
            public List<IndexedMemory> Memories(IEnumerable<SearchLogRecord>? then = null)
            {
                var all = new Dictionary<string, IndexedMemory>(StringComparer.Ordinal);
                if (Segment != null) foreach (var m in Segment.ReadAll()) all[m.Key] = m;
                foreach (var r in then == null ? Latest.Values : Latest.Values.Concat(then))
                {
                    if (r.Removed) all.Remove(r.Key);
                    else all[r.Key] = new IndexedMemory(r.Key, r.Hash!, r.Counts!);
                }
                var list = all.Values.ToList();
                list.Sort((a, b) => Names.KeyOrder.Compare(a.Key, b.Key));
                return list;
            }
        }

        /// <summary>
        /// The index of <paramref name="ns"/>; null when it has none or it is damaged (a log line that is no record, a
        /// segment that is missing or fails its checks). With <paramref name="checkLast"/>, the log's last record is
        /// compared with its memory file and, when they differ (a write between its two steps, or cut short by a crash),
        /// replaced by what the memory file holds now.
        /// </summary>
        /// <param name="cached">False: the segment is read from its file, never from a copy kept by an earlier search (the verifier).</param>
        public State? Load(string ns, bool checkLast, bool cached = true)
        {
            var log = SearchLog.TryRead(LogPath(ns));
            if (log == null) return null;
            SearchSegment? segment = null;
            if (log.Generation > 0 && (segment = SearchSegment.TryRead(SegmentPath(ns, log.Generation), cached)) == null) return null;
            var latest = new Dictionary<string, SearchLogRecord>(StringComparer.Ordinal);
            foreach (var r in log.Records) latest[r.Key] = r;
            if (checkLast && log.Records.Count > 0)
            {
                var last = log.Records[log.Records.Count - 1];
                if (!IsCurrent(ns, last))
                {
                    // A memory file that does not parse: the scan reports it to the caller, so the scan answers.
                    try { _ = S.TryGet(ns, last.Key); }
                    catch (EngramException ex) { throw new InvalidDataException($"The memory '{last.Key}' cannot be read: {ex.Message}", ex); }
                    latest[last.Key] = Actual(ns, last.Key);
                }
            }
            Resolve(ns, latest);
            return new State(log.Generation, segment, latest);
        }

        /// <summary>True when <paramref name="record"/> says what the memory file holds now.</summary>
        internal bool IsCurrent(string ns, SearchLogRecord record)
        {
            MemoryRecord? m;
            try { m = S.ReadForWrite(ns, record.Key); }
            catch (EngramException) { return false; } // malformed (the scan leaves it out), or too large
            return record.Removed ? m == null : m != null && string.Equals(m.ContentHash, record.Hash, StringComparison.Ordinal);
        }

        /// <summary>The record of what the memory file of <paramref name="key"/> holds now (a removal when there is none
        /// or it does not parse: the scan leaves such a file out).</summary>
        internal SearchLogRecord Actual(string ns, string key)
        {
            MemoryRecord? m;
            try { m = S.TryGet(ns, key); }
            catch (EngramException) { m = null; }
            return m == null ? new SearchLogRecord(key, null, null) : Record(m);
        }

        internal static SearchLogRecord Record(MemoryRecord m) => new SearchLogRecord(m.Key, m.ContentHash, TermCounts.Of(m.Key, m.Value));

        /// <summary>A string value at least this long (characters) is not counted by the single-memory write path: its
        /// record is <see cref="SearchLogRecord.Deferred"/> (counting 1 MB of text costs ~30 ms, many times the write).</summary>
        internal const int DeferFrom = 64 * 1024;

        /// <summary>The record a single-memory write appends: deferred for a large string value.</summary>
        internal static SearchLogRecord FastRecord(MemoryRecord m) =>
            m.Value is string s && s.Length >= DeferFrom ? new SearchLogRecord(m.Key, m.ContentHash, null) : Record(m);

        /// <summary>
        /// The counts of every deferred record of <paramref name="latest"/>, from the memory files as they are now (what
        /// the scan reads; a file gone is a removal); one that does not parse makes the search scan
        /// (<see cref="InvalidDataException"/>).
        /// </summary>
        private void Resolve(string ns, Dictionary<string, SearchLogRecord> latest)
        {
            List<string>? deferred = null;
            foreach (var r in latest.Values) if (r.Deferred) (deferred ??= new List<string>()).Add(r.Key);
            if (deferred == null) return;
            foreach (var key in deferred)
            {
                MemoryRecord? m;
                try { m = S.TryGet(ns, key); }
                catch (EngramException ex) { throw new InvalidDataException($"The memory '{key}' cannot be read: {ex.Message}", ex); }
                latest[key] = m == null ? new SearchLogRecord(key, null, null) : Record(m);
            }
        }

        // ------------------------------------------------------------------ building

        /// <summary>What the scan reads of a namespace: every memory file that parses, as the index keeps it.</summary>
        internal List<IndexedMemory> ScanNamespace(string ns)
        {
            var result = new List<IndexedMemory>();
            var view = S.OpenRead();
            foreach (var location in view.ListMemories(ns))
            {
                MemoryRecord m;
                try { m = view.ReadListed(location); }
                catch (EngramException) { continue; } // malformed, gone or a link: the scan leaves it out too
                catch (IOException) { continue; }
                catch (UnauthorizedAccessException) { continue; }
                result.Add(new IndexedMemory(m.Key, m.ContentHash, TermCounts.Of(m.Key, m.Value)));
            }
            return result;
        }

        /// <summary>
        /// Writes a fresh index of <paramref name="ns"/> holding <paramref name="memories"/> (the caller holds the lock):
        /// a new segment, then a log naming it, then the other segments deleted. Fault hook step: "index-segment-written".
        /// </summary>
        internal void Replace(string ns, IReadOnlyList<IndexedMemory> memories)
        {
            long generation = 0;
            if (memories.Count > 0)
            {
                generation = NextGeneration(ns);
                WriteAtomic(SegmentPath(ns, generation), SearchSegment.Build(memories));
                S.FaultHook?.Invoke("index-segment-written");
            }
            FileOps.WriteAtomic(LogPath(ns), SearchLog.Header(generation), S.TempDir, S.Config.Durability);
            DeleteSegmentsBut(ns, generation);
        }

        /// <summary>Cuts the log's last record off when it disagrees with its memory file (a write a crash stopped between
        /// the record and the memory's rename: the log is then as before that write). True when it cut one.</summary>
        internal bool CutDisagreeingLast(string ns)
        {
            var log = Disagreeing(ns);
            if (log == null) return false;
            FileOps.Truncate(LogPath(ns), log.LastStart);
            return true;
        }

        /// <summary>True when the log's last record is not what its memory file holds.</summary>
        internal bool LastDisagrees(string ns) => Disagreeing(ns) != null;

        private SearchLog? Disagreeing(string ns)
        {
            SearchLog? log;
            try { log = SearchLog.TryRead(LogPath(ns)); }
            catch (InvalidDataException) { return null; }
            return log == null || log.Records.Count == 0 || IsCurrent(ns, log.Records[log.Records.Count - 1]) ? null : log;
        }

        /// <summary>Rebuilds the index of <paramref name="ns"/> from its memory files (the caller holds the lock).</summary>
        internal void Rebuild(string ns) => Replace(ns, ScanNamespace(ns));

        /// <summary>One more than the newest generation named by the log or found on disk.</summary>
        internal long NextGeneration(string ns)
        {
            long newest = 0;
            try
            {
                var log = SearchLog.TryRead(LogPath(ns));
                if (log != null) newest = log.Generation;
            }
            catch (InvalidDataException) { }
            foreach (var g in Generations(ns)) newest = Math.Max(newest, g);
            return newest + 1;
        }

        /// <summary>True for a segment's file name: <c>seg-</c> and a generation (digits, no leading zero).</summary>
        internal static bool IsSegmentName(string name) =>
            name.StartsWith(SegmentPrefix, StringComparison.Ordinal)
            && long.TryParse(name.Substring(SegmentPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var g) && g > 0
            && name == SegmentPrefix + g.ToString(CultureInfo.InvariantCulture);

        /// <summary>The generations of the segment files in the namespace's folder.</summary>
        internal IEnumerable<long> Generations(string ns)
        {
            var dir = Dir(ns);
            if (!Directory.Exists(dir)) yield break;
            foreach (var f in S.Paths.Files(dir, SegmentPrefix + "*"))
            {
                var name = Path.GetFileName(f);
                if (IsSegmentName(name)) yield return long.Parse(name.Substring(SegmentPrefix.Length), CultureInfo.InvariantCulture);
            }
        }

        private void DeleteSegmentsBut(string ns, long generation)
        {
            foreach (var g in Generations(ns).ToList())
                if (g != generation) FileOps.TryDelete(SegmentPath(ns, g)); // (held open on Windows: removed by a later compaction)
        }

        private void WriteAtomic(string path, byte[] bytes)
        {
            var tmp = FileOps.WriteTemp(S.TempDir, new[] { new ArraySegment<byte>(bytes) }, S.Config.Durability);
            try { FileOps.ReplaceByRenameCreatingDirectory(tmp, path); }
            catch
            {
                FileOps.TryDelete(tmp);
                throw;
            }
        }

        // ------------------------------------------------------------------ writing

        /// <summary>
        /// Opens the log of <paramref name="ns"/> for a writer holding the lock, and checks its last record against its
        /// memory file (a crash between the record and the memory's rename leaves it ahead): when they differ, the
        /// record of what the memory holds now is written first (<see cref="Appender.Correction"/>). Bytes a crash tore
        /// off an append are cut by the append. Changes nothing. Null when the namespace has no index, or one that cannot
        /// be read: the writer then builds it within its commit (<see cref="Stage"/>).
        /// </summary>
        /// <param name="createForNew">When the namespace has no index and no memory file either (a new namespace), create
        /// its empty log now (removed again by <see cref="Appender.CutBack"/>), so its first write takes the fast path.</param>
        internal Appender? Prepare(string ns, bool createForNew = false)
        {
            var path = LogPath(ns);
            FileStream fs;
            bool created = false;
            try { fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, 1, FileOptions.None); }
            catch (Exception ex) when (ex is FileNotFoundException || ex is DirectoryNotFoundException)
            {
                var nsDir = S.Paths.Proven(Path.Combine(S.Root, ns));
                if (!createForNew || (Directory.Exists(nsDir) && Directory.EnumerateFiles(nsDir, "*.yaml").Any())) return null;
                fs = FileOps.OpenCreatingDirectory(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
                created = true;
                try
                {
                    var header = FileOps.GetBytes(SearchLog.Header(0));
                    fs.Write(header, 0, header.Length);
                    fs.Flush();
                }
                catch
                {
                    fs.Dispose();
                    FileOps.TryDelete(path);
                    throw;
                }
            }
            try
            {
                SearchLog tail;
                long segmentBytes;
                try
                {
                    tail = SearchLog.ReadTail(fs);
                    segmentBytes = tail.Generation == 0 ? 0 : new FileInfo(SegmentPath(ns, tail.Generation)).Length;
                }
                catch (Exception ex) when (ex is InvalidDataException || ex is FileNotFoundException)
                {
                    fs.Dispose(); // a damaged log, or its segment gone: derived data, made again
                    return null;
                }
                string? correction = tail.Records.Count == 1 && !IsCurrent(ns, tail.Records[0]) ? Actual(ns, tail.Records[0].Key).ToLine() : null;
                return new Appender(this, fs, tail.Generation, tail.ValidLength, segmentBytes, correction, created ? path : null);
            }
            catch
            {
                fs.Dispose();
                throw;
            }
        }

        /// <summary>A log open for appending (see <see cref="Prepare"/>).</summary>
        internal sealed class Appender : IDisposable
        {
            private readonly SearchIndex _index;
            private readonly FileStream _fs;
            private readonly string? _created;
            private long _end;

            public Appender(SearchIndex index, FileStream fs, long generation, long validLength, long segmentBytes, string? correction, string? created)
            {
                _index = index;
                _created = created;
                _fs = fs;
                Generation = generation;
                ValidLength = validLength;
                _end = validLength;
                SegmentBytes = segmentBytes;
                Correction = correction;
            }

            public long Generation { get; }
            /// <summary>The end of the log's last complete record, where the session's records go.</summary>
            public long ValidLength { get; }
            public long SegmentBytes { get; }
            /// <summary>The record to write before the session's: what the memory of a last record that disagrees with
            /// it holds now; null when none disagrees.</summary>
            public string? Correction { get; }

            /// <summary>Writes <see cref="Correction"/> and <paramref name="lines"/> at <see cref="ValidLength"/> (cutting
            /// whatever a crash left after it).</summary>
            public void Append(string lines)
            {
                var bytes = FileOps.GetBytes(Correction + lines);
                try
                {
                    _fs.SetLength(ValidLength);
                    _fs.Position = ValidLength;
                    _fs.Write(bytes, 0, bytes.Length);
                    if (_index.S.Config.Durability == Durability.Full) _fs.Flush(true);
                    else _fs.Flush();
                }
                catch
                {
                    _fs.SetLength(ValidLength);
                    throw;
                }
                _end = ValidLength + bytes.Length;
            }

            /// <summary>Undoes <see cref="Append"/> (the write it recorded failed), and removes a log <see cref="Prepare"/> created.</summary>
            public void CutBack()
            {
                if (_end != ValidLength) _fs.SetLength(ValidLength);
                _end = ValidLength;
                if (_created == null) return;
                _fs.Dispose();
                FileOps.TryDelete(_created);
                foreach (var dir in new[] { Path.GetDirectoryName(_created)!, Path.GetDirectoryName(Path.GetDirectoryName(_created))! })
                    try { if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir); }
                    catch (IOException) { }
                    catch (UnauthorizedAccessException) { }
                _index.S.Paths.Forget(); // folders it created are gone again (as a rolled-back transaction's)
            }

            public bool WantsCompaction => _index.ShouldCompact(_end, SegmentBytes);

            public void Dispose() => _fs.Dispose();
        }

        /// <summary>
        /// Stages the records of a journalled session in its transaction: appended to the namespace's log, or, when the
        /// log would outgrow <see cref="ShouldCompact"/> (an import), merged with it into a new segment written by the
        /// transaction together with a log naming it (the old segment deleted by it too).
        /// </summary>
        internal void Stage(Transaction txn, string ns, List<SearchLogRecord> records)
        {
            var text = string.Concat(records.Select(r => r.ToLine()));
            State? state;
            using (var log = Prepare(ns))
            {
                if (log != null)
                {
                    var lines = log.Correction + text;
                    if (!ShouldCompact(log.ValidLength + System.Text.Encoding.UTF8.GetByteCount(lines), log.SegmentBytes))
                    {
                        txn.Append(LogPath(ns), lines, log.ValidLength);
                        return;
                    }
                }
                state = log == null ? null : Load(ns, checkLast: true);
            }
            // No index yet (or a damaged one): built from the memory files as they are before this session.
            var memories = state != null ? state.Memories(records) : Apply(ScanNamespace(ns), records);
            long generation = 0;
            if (memories.Count > 0)
            {
                generation = NextGeneration(ns);
                txn.Write(SegmentPath(ns, generation), SearchSegment.Build(memories));
            }
            txn.Write(LogPath(ns), SearchLog.Header(generation));
            foreach (var g in Generations(ns).ToList())
                if (g != generation) txn.Delete(SegmentPath(ns, g));
        }

        private static List<IndexedMemory> Apply(List<IndexedMemory> memories, List<SearchLogRecord> records) =>
            new State(0, null, memories.ToDictionary(m => m.Key, m => new SearchLogRecord(m.Key, m.Hash, m.Counts), StringComparer.Ordinal)).Memories(records);

        /// <summary>
        /// Merges the log of <paramref name="ns"/> into a new segment, when it has outgrown <see cref="ShouldCompact"/>
        /// (the caller holds the lock and its write has taken effect). A failure leaves the index as it was (the log
        /// is compacted by a later write). Fault hook steps: "index-segment-written", "index-compacted".
        /// </summary>
        internal void Compact(string ns)
        {
            try
            {
                var state = Load(ns, checkLast: true);
                if (state == null) { Rebuild(ns); return; }
                Replace(ns, state.Memories());
                S.FaultHook?.Invoke("index-compacted");
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}

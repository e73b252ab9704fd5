using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core
{
    /// <summary>Information: worth knowing, not a problem (e.g. an anchored entry retention has squashed).</summary>
    public enum FindingSeverity { Information, Warning, Error }

    /// <summary>One problem found by <see cref="EngramStore.Verify"/>.</summary>
    public sealed class StoreFinding
    {
        internal StoreFinding(FindingSeverity severity, string kind, string message, string? path, string? ns = null, string? key = null, long? seq = null)
        {
            Severity = severity;
            Kind = kind;
            Message = message;
            Path = path;
            Namespace = ns;
            Key = key;
            Seq = seq;
        }

        public FindingSeverity Severity { get; }
        /// <summary>Stable kind: MalformedMemory, MalformedProvenance, BrokenChain, TamperedValue, SequenceGap, TornAppend,
        /// DanglingEntry, HistoryMismatch, InterruptedTransaction, OrphanTempFile, MalformedBranch, UnsupportedFormat.</summary>
        public string Kind { get; }
        public string Message { get; }
        public string? Path { get; }
        public string? Namespace { get; }
        public string? Key { get; }
        public long? Seq { get; }
        /// <summary>True when -Repair fixed it.</summary>
        public bool Repaired { get; internal set; }
    }

    /// <summary>The result of <see cref="EngramStore.Verify"/>.</summary>
    public sealed class StoreReport
    {
        internal StoreReport(string root) { Root = root; }

        public string Root { get; }
        public int MemoriesChecked { get; internal set; }
        public int HistoriesChecked { get; internal set; }
        public long EntriesChecked { get; internal set; }
        public int BranchesChecked { get; internal set; }
        public List<StoreFinding> Findings { get; } = new List<StoreFinding>();
        /// <summary>True when no warning or error remains unrepaired.</summary>
        public bool Healthy => Findings.All(f => f.Repaired || f.Severity == FindingSeverity.Information);
    }

    public sealed partial class EngramStore
    {
        /// <summary>
        /// Checks the whole store: memory files parse, every provenance chain verifies (hashes, links, sequence, value
        /// hashes) and agrees with its memory file, branches are consistent, and no staging is left over. With
        /// <paramref name="repair"/>, does only safe repairs: finishes or discards interrupted transactions, deletes
        /// orphaned temp files, cuts torn or dangling trailing entries (writes that never completed).
        /// </summary>
        public StoreReport Verify(bool repair = false, Action<int, int, string>? progress = null)
        {
            EnsureExists();
            var report = new StoreReport(Root);
            IDisposable? writeLock = null;
            try
            {
                // LockForWrite also recovers interrupted transactions; record them first so the report says so.
                foreach (var dir in Transaction.Pending(Root))
                {
                    bool committed = File.Exists(Path.Combine(dir, "committed"));
                    report.Findings.Add(new StoreFinding(FindingSeverity.Warning, "InterruptedTransaction",
                        $"Transaction '{System.IO.Path.GetFileName(dir)}' was interrupted {(committed ? "after it committed: it will be finished" : "before it committed: it will be discarded")}.", dir));
                }
                if (repair)
                {
                    writeLock = LockForWrite();
                    foreach (var f in report.Findings) f.Repaired = true;
                }

                var tmp = Path.Combine(Root, "_tmp");
                if (Directory.Exists(tmp))
                    foreach (var f in Directory.EnumerateFiles(tmp))
                    {
                        var finding = new StoreFinding(FindingSeverity.Warning, "OrphanTempFile", $"Temporary file left by an interrupted write: '{f}'.", f);
                        report.Findings.Add(finding);
                        if (repair) { FileOps.TryDelete(f); finding.Repaired = !File.Exists(f); }
                    }

                var namespaces = ListNamespaces();
                var provRoot = Path.Combine(Root, Names.ProvenanceNamespace);
                var provNamespaces = Directory.Exists(provRoot)
                    ? Directory.EnumerateDirectories(provRoot).Select(Path.GetFileName).Where(n => n != null && Names.IsValidNamespace(n)).Select(n => n!)
                    : Enumerable.Empty<string>();
                var all = namespaces.Union(provNamespaces).OrderBy(n => n, StringComparer.Ordinal).ToList();
                int nsDone = 0;
                foreach (var ns in all)
                {
                    progress?.Invoke(++nsDone, all.Count, ns);
                    VerifyNamespace(ns, repair, report);
                }
                VerifyBranches(report);
            }
            finally
            {
                writeLock?.Dispose();
            }
            return report;
        }

        private void VerifyNamespace(string ns, bool repair, StoreReport report)
        {
            var memories = new Dictionary<string, MemoryRecord?>(StringComparer.Ordinal); // stem -> record (null: malformed)
            var dir = Path.Combine(Root, ns);
            if (Directory.Exists(dir))
                foreach (var path in Directory.EnumerateFiles(dir, "*.yaml"))
                {
                    report.MemoriesChecked++;
                    var stem = Path.GetFileNameWithoutExtension(path);
                    try
                    {
                        memories[stem] = CheckMemoryFile(path, ns, stem, repair, report, out var fileBytes);
                        // Reading a large file leaves copies of its value as garbage, which the runtime frees only at a
                        // full collection: without one, the histories read next would add theirs on top (see CheckChain).
                        if (fileBytes >= LargeEntryChars) GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                    }
                    catch (EngramException ex)
                    {
                        memories[stem] = null;
                        var kind = ex.ErrorId == EngramErrorIds.UnsupportedFormatVersion ? "UnsupportedFormat" : ex.ErrorId == EngramErrorIds.ValueTooLarge ? "ValueTooLarge" : "MalformedMemory";
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, kind, ex.Message, path, ns, Names.DecodeKey(stem)));
                    }
                }

            var provDir = Path.Combine(Root, Names.ProvenanceNamespace, ns);
            if (!Directory.Exists(provDir)) return;
            foreach (var path in Directory.EnumerateFiles(provDir, "*.prov"))
            {
                report.HistoriesChecked++;
                var stem = Path.GetFileNameWithoutExtension(path);
                memories.TryGetValue(stem, out var memory);
                if (memories.ContainsKey(stem) && memory == null) continue; // already reported: memory file unreadable
                VerifyHistory(ns, Names.DecodeKey(stem) ?? memory?.Key ?? stem, new ProvenanceLog(path), memory, repair, report);
            }
        }

        /// <summary>Checks one memory file (key, header against value); returns it without its value (only version,
        /// hash and key are compared with its history), so the verifier holds one value at a time.</summary>
        private MemoryRecord CheckMemoryFile(string path, string ns, string stem, bool repair, StoreReport report, out long fileBytes)
        {
            var bytes = ReadMemoryBytes(path);
            fileBytes = bytes.Length;
            var text = FileOps.DecodeText(bytes);
            var m = MemoryFile.Parse(text, ns, path, Names.DefaultBranch, headerOnly: false, out var recordedHash, out var valueBytes);
            if (Names.EncodeKey(m.Key) != stem)
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "MalformedMemory", $"'{path}' holds key '{m.Key}', which belongs in another file.", path, ns, m.Key));
            else if (recordedHash != null && (recordedHash != m.ContentHash || valueBytes != ValueSectionBytes(text, bytes)))
            {
                // Writers trust the header's content hash (so they need not parse the old value): a value
                // edited by hand must get a header that matches it again.
                var f = new StoreFinding(FindingSeverity.Warning, "StaleContentHash",
                    $"The header of '{path}' records a content hash or value size that does not match its value (was the value edited by hand?). Repair rewrites the header.", path, ns, m.Key);
                report.Findings.Add(f);
                if (repair)
                {
                    FileOps.WriteAtomic(path, MemoryFile.Serialize(m), TempDir, Config.Durability);
                    f.Repaired = true;
                }
            }
            // Kept until the namespace's histories are checked, without its value however many memories there are.
            var hash = m.ContentHash;
            return new MemoryRecord(m.Id, ns, m.Key, () => throw new InvalidOperationException("not kept"), hash, m.Tags, m.Version, m.CreatedUtc, m.UpdatedUtc);
        }

        /// <summary>The UTF-8 length of the value section: the file's bytes minus those of the header (and of a
        /// byte-order mark), so a large value is not copied to be measured.</summary>
        private static long ValueSectionBytes(string text, byte[] bytes)
        {
            int i = text.IndexOf("\nvalue:", StringComparison.Ordinal);
            if (i < 0) return -1;
            bool utf8 = !(bytes.Length >= 2 && ((bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0xFF && bytes[1] == 0xFE)));
            if (!utf8) return Encoding.UTF8.GetByteCount(text.Substring(i + 1));
            int bom = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            return bytes.Length - bom - Encoding.UTF8.GetByteCount(text.Substring(0, i + 1));
        }

        /// <summary>A memory file's bytes; one larger than the configuration allows is refused (ValueTooLarge) unread.</summary>
        private byte[] ReadMemoryBytes(string path)
        {
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None))
            {
                CheckFileSize(path, fs.Length);
                var buf = new byte[fs.Length];
                int filled = 0;
                while (filled < buf.Length)
                {
                    int n = fs.Read(buf, filled, buf.Length - filled);
                    if (n <= 0) break;
                    filled += n;
                }
                if (filled < buf.Length) Array.Resize(ref buf, filled);
                return buf;
            }
        }

        private void VerifyHistory(string ns, string key, ProvenanceLog log, MemoryRecord? memory, bool repair, StoreReport report)
        {
            LogTail? tail;
            try { tail = log.ReadTail(); }
            catch (EngramException ex)
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsupportedFormatVersion ? "UnsupportedFormat" : "MalformedProvenance", ex.Message, log.Path, ns, key));
                return;
            }
            if (tail == null) return;
            if (tail.ValidLength < tail.FileLength)
            {
                var f = new StoreFinding(FindingSeverity.Warning, "TornAppend",
                    $"The history of '{key}' in '{ns}' ends with an incomplete entry ({tail.FileLength - tail.ValidLength} bytes) from an interrupted write.", log.Path, ns, key, tail.Seq + 1);
                report.Findings.Add(f);
                if (repair) { FileOps.Truncate(log.Path, tail.ValidLength); f.Repaired = true; }
            }
            if (tail.Seq == 0) return;

            var walk = CheckChain(log.ReadAll(tail.ValidLength, includeValues: true), ns, key, log.Path, report);
            if (walk.Broken) return;
            ProvenanceEntry? last = walk.Last, lastMain = walk.LastMain;
            string? mainActionBeforeLast = walk.MainActionBeforeLast;

            // The main line's last entry must agree with the memory file.
            if (lastMain == null) return;
            bool consistent = memory == null ? lastMain.Action == ProvenanceActions.Deleted
                : lastMain.Action != ProvenanceActions.Deleted && lastMain.Version == memory.Version && lastMain.ContentHash == memory.ContentHash;
            if (consistent) return;
            if (LooksDangling(lastMain.Action, lastMain.Version, memory, () => IsFirstOrAfterDeletion(mainActionBeforeLast)))
            {
                var f = new StoreFinding(FindingSeverity.Warning, "DanglingEntry",
                    $"Entry {lastMain.Seq} of '{key}' in '{ns}' records a write that never completed (the process stopped before the memory file was replaced).", log.Path, ns, key, lastMain.Seq);
                report.Findings.Add(f);
                if (repair && lastMain == last) { FileOps.Truncate(log.Path, tail.Start); f.Repaired = true; }
            }
            else
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMismatch",
                    $"The memory file of '{key}' in '{ns}' (version {memory?.Version.ToString() ?? "none"}) does not match its last history entry {lastMain.Seq} (version {lastMain.Version}, {lastMain.Action}).", log.Path, ns, key, lastMain.Seq));
            }
        }

        internal sealed class ChainWalk
        {
            public bool Broken;
            public ProvenanceEntry? Last, LastMain;
            /// <summary>The main-line action before the last main-line entry (squashes included).</summary>
            public string? MainActionBeforeLast;
        }

        /// <summary>
        /// Walks one history oldest first and checks it: sequence without gaps, every hash, every link to the previous
        /// entry (squashed runs included), the memory it names, stored values against their content hashes. The first
        /// problem is added to <paramref name="report"/> and ends the walk (<see cref="ChainWalk.Broken"/>). Shared by
        /// every backend.
        /// </summary>
        /// <summary>Entries whose value has at least this many characters are followed by a full garbage collection.</summary>
        internal const int LargeEntryChars = 4 * 1024 * 1024;

        internal static ChainWalk CheckChain(IEnumerable<ProvenanceEntry> entries, string ns, string key, string? path, StoreReport report)
        {
            var walk = new ChainWalk();
            long expected = 1;
            string? prevHash = null;
            string? mainAction = null; // main-line actions, squashes included
            try
            {
                foreach (var e in entries)
                {
                    report.EntriesChecked++;
                    if (e.Action == ProvenanceActions.Squashed)
                    {
                        // Retention replaced entries firstSeq..Seq by this one; it records the hash that preceded them and
                        // the hash of the last of them, which the next entry links to.
                        var firstSeq = e.Details?.TryGetValue("firstSeq", out var fsq) == true && fsq != null ? Convert.ToInt64(fsq, System.Globalization.CultureInfo.InvariantCulture) : 1;
                        var firstPrev = e.Details?.TryGetValue("firstPrevHash", out var fph) == true ? fph as string : null;
                        if (firstSeq != expected || firstPrev != prevHash || !e.VerifyHash() || !(e.Details?.TryGetValue("lastHash", out var lh) == true && lh is string))
                        {
                            report.Findings.Add(new StoreFinding(FindingSeverity.Error, "BrokenChain", $"The history of '{key}' in '{ns}' has an invalid squashed entry {e.Seq}.", path, ns, key, e.Seq));
                            return Broken(walk);
                        }
                        prevHash = (string)e.Details!["lastHash"]!;
                        expected = e.Seq + 1;
                        walk.Last = e;
                        mainAction = e.Action;
                        continue;
                    }
                    if (e.Seq != expected)
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "SequenceGap", $"The history of '{key}' in '{ns}' jumps from entry {expected - 1} to {e.Seq}.", path, ns, key, e.Seq));
                        return Broken(walk);
                    }
                    if (!e.VerifyHash() || e.PrevHash != prevHash || e.Namespace != ns || e.Key != key)
                    {
                        var why = !e.VerifyHash() ? "its hash does not match its contents (edited?)"
                            : e.PrevHash != prevHash ? "it does not link to the previous entry (removed or reordered entries?)"
                            : "it names another memory";
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "BrokenChain", $"The history of '{key}' in '{ns}' is broken at entry {e.Seq}: {why}.", path, ns, key, e.Seq));
                        return Broken(walk);
                    }
                    if (e.HasValue && e.ContentHash != null && ValueCodec.ContentHash(e.Value) != e.ContentHash)
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "TamperedValue", $"The value stored with entry {e.Seq} of '{key}' in '{ns}' does not match its content hash.", path, ns, key, e.Seq));
                        return Broken(walk);
                    }
                    bool large = e.Value is string text && text.Length >= LargeEntryChars;
                    e.Value = null; // checked: the walk keeps entries for their metadata only (one value in memory at a time)
                    // Reading a large entry leaves several copies of it as garbage on the large object heap, which the
                    // runtime frees only at a full collection: without one per large entry, a long history of large
                    // values would grow the process by every copy of every entry (30× the value for three entries).
                    if (large) GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                    prevHash = e.Hash;
                    walk.Last = e;
                    if (e.Branch == Names.DefaultBranch)
                    {
                        walk.LastMain = e;
                        walk.MainActionBeforeLast = mainAction;
                        mainAction = e.Action;
                    }
                    expected++;
                }
            }
            catch (EngramException ex)
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsupportedFormatVersion ? "UnsupportedFormat" : "MalformedProvenance", ex.Message, path, ns, key, expected));
                return Broken(walk);
            }

            return walk;
        }

        private static ChainWalk Broken(ChainWalk walk)
        {
            walk.Broken = true;
            return walk;
        }

        private void VerifyBranches(StoreReport report)
        {
            var root = Path.Combine(Root, BranchesFolder);
            if (!Directory.Exists(root)) return;
            foreach (var nsDir in Directory.EnumerateDirectories(root))
            {
                var ns = Path.GetFileName(nsDir);
                foreach (var bdir in Directory.EnumerateDirectories(nsDir))
                {
                    report.BranchesChecked++;
                    var recordPath = Path.Combine(bdir, "branch.yaml");
                    try
                    {
                        if (!File.Exists(recordPath)) throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"The branch folder '{bdir}' has no branch.yaml.", bdir);
                        var record = BranchRecord.Parse(FileOps.ReadAllText(recordPath), recordPath);
                        if (record.Name != Path.GetFileName(bdir) || record.Namespace != ns)
                            throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"The branch record '{recordPath}' names '{record.Namespace}@{record.Name}', not its folder.", recordPath);
                        foreach (var sub in new[] { "mem", "base" })
                        {
                            var d = Path.Combine(bdir, sub);
                            if (!Directory.Exists(d)) continue;
                            foreach (var f in Directory.EnumerateFiles(d, "*.yaml"))
                            {
                                var m = MemoryFile.Parse(FileOps.ReadAllText(f), ns, f, record.Name);
                                if (!record.Covers(m.Key))
                                    throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"'{f}' holds key '{m.Key}', which branch '{record.Name}' does not cover.", f);
                            }
                        }
                    }
                    catch (EngramException ex)
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "MalformedBranch", ex.Message, recordPath, ns));
                    }
                }
            }
        }
    }
}

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
        /// <summary>Stable kind: MalformedMemory, MissingMemory, MalformedProvenance, BrokenChain, TamperedValue, SequenceGap,
        /// VersionGap, TrailerMismatch, TornAppend, DanglingEntry, HistoryMismatch, InterruptedTransaction, CorruptTransaction,
        /// UnsafeStorePath, OrphanTempFile,
        /// MalformedBranch, UnsupportedFormat.</summary>
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

        private StoreReport(string root, HashSet<string> links) { Root = root; Links = links; }

        /// <summary>An empty report for one part of a verification, sharing the links found (see EngramStore.Rechecked).</summary>
        internal StoreReport Scratch() => new StoreReport(Root, Links);

        /// <summary>Findings seen while the store was being written that were gone when re-read under its lock.</summary>
        internal int DismissedOnRecheck { get; set; }

        internal void AddCounts(StoreReport part)
        {
            DismissedOnRecheck += part.DismissedOnRecheck;
            MemoriesChecked += part.MemoriesChecked;
            HistoriesChecked += part.HistoriesChecked;
            EntriesChecked += part.EntriesChecked;
            BranchesChecked += part.BranchesChecked;
        }

        public string Root { get; }
        public int MemoriesChecked { get; internal set; }
        public int HistoriesChecked { get; internal set; }
        public long EntriesChecked { get; internal set; }
        public int BranchesChecked { get; internal set; }
        public List<StoreFinding> Findings { get; } = new List<StoreFinding>();
        /// <summary>Links found inside the store by this verification: never followed, everything under them skipped.</summary>
        internal HashSet<string> Links { get; } = new HashSet<string>(System.StringComparer.Ordinal);

        /// <summary>True when <paramref name="path"/> is, or lies under, a link this verification found.</summary>
        internal bool Covers(string path)
        {
            if (Links.Count == 0) return false;
            for (var p = path; p != null && p.Length > Root.Length; p = System.IO.Path.GetDirectoryName(p))
                if (Links.Contains(p)) return true;
            return false;
        }
        /// <summary>True when no warning or error remains unrepaired.</summary>
        public bool Healthy => Findings.All(f => f.Repaired || f.Severity == FindingSeverity.Information);
    }

    public sealed partial class EngramStore
    {
        /// <summary>
        /// Checks the whole store: memory files parse, every provenance chain verifies (hashes, links, sequence, value
        /// hashes) and agrees with its memory file, branches are consistent, and no staging is left over. With
        /// <paramref name="repair"/>, does only safe repairs: finishes or discards interrupted transactions, deletes
        /// orphaned temp files, cuts torn or dangling trailing entries (writes that never completed: only bytes proven to
        /// be an unfinished append, see <see cref="ProvenanceLog.ReadTail"/>), and rebuilds a missing or malformed memory
        /// file from its intact history (a <c>repaired</c> entry records it).
        /// </summary>
        /// <remarks>
        /// Consistent on a live store without blocking its writers for long: the store is read without the lock, and
        /// whatever looks wrong (a memory, a history, a branch, a transaction folder, a temp file) is checked again under
        /// the store's lock, briefly, and reported only if it is still wrong then: a write in progress is not damage.
        /// With <paramref name="repair"/> the lock is held throughout. Links inside the store are reported (Error
        /// <c>UnsafeStorePath</c>) and never followed; a transaction record that must not be replayed is an Error
        /// (<c>CorruptTransaction</c>) that repair moves to <c>_quarantine/</c>.
        /// </remarks>
        public override StoreReport Verify(bool repair = false, Action<int, int, string>? progress = null)
        {
            EnsureExists();
            var report = new StoreReport(Root);
            _paths.Forget();
            IDisposable? writeLock = null;
            try
            {
                // LockForWrite also recovers interrupted transactions; record them first so the report says so.
                Rechecked(report, repair, VerifyTransactions);
                if (repair)
                {
                    try { writeLock = LockForWrite(quarantineCorrupt: true); }
                    catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.UnsafeStorePath) { repair = false; } // a link in the way (reported below): nothing is repaired
                    if (writeLock != null) foreach (var f in report.Findings) f.Repaired = true;
                }
                ScanLinks(report);

                Rechecked(report, repair, r => VerifyTempFiles(r, repair));

                var namespaces = ListNamespaces();
                var provRoot = Path.Combine(Root, Names.ProvenanceNamespace);
                var provNamespaces = Directory.Exists(provRoot) && !report.Covers(provRoot)
                    ? Directory.EnumerateDirectories(provRoot).Select(Path.GetFileName).Where(n => n != null && Names.IsValidNamespace(n)).Select(n => n!)
                    : Enumerable.Empty<string>();
                var all = namespaces.Union(provNamespaces).OrderBy(n => n, StringComparer.Ordinal).ToList();
                int nsDone = 0;
                foreach (var ns in all)
                {
                    progress?.Invoke(++nsDone, all.Count, ns);
                    RecheckedByStem(report, repair, (r, only) => VerifyNamespace(ns, repair, r, only));
                }
                Rechecked(report, repair, VerifyBranches);
            }
            finally
            {
                writeLock?.Dispose();
            }
            return report;
        }

        /// <param name="only">When set, only the memories (and histories) whose file name stem it accepts.</param>
        private void VerifyNamespace(string ns, bool repair, StoreReport report, Func<string, bool>? only = null)
        {
            var memories = new Dictionary<string, MemoryRecord?>(StringComparer.Ordinal); // stem -> record (null: malformed)
            var malformed = new Dictionary<string, StoreFinding>(StringComparer.Ordinal); // stem -> its MalformedMemory finding
            var dir = Path.Combine(Root, ns);
            if (Directory.Exists(dir))
                foreach (var path in VerifiableFiles(dir, "*.yaml", report))
                {
                    var stem = Path.GetFileNameWithoutExtension(path);
                    if (only != null && !only(stem)) continue;
                    report.MemoriesChecked++;
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
                        var f = new StoreFinding(FindingSeverity.Error, kind, ex.Message, path, ns, Names.DecodeKey(stem));
                        report.Findings.Add(f);
                        if (f.Kind == "MalformedMemory") malformed[stem] = f;
                    }
                }

            var provDir = Path.Combine(Root, Names.ProvenanceNamespace, ns);
            if (!Directory.Exists(provDir)) return;
            foreach (var path in VerifiableFiles(provDir, "*.prov", report))
            {
                var stem = Path.GetFileNameWithoutExtension(path);
                if (only != null && !only(stem)) continue;
                if (report.Covers(Path.Combine(dir, stem + ".yaml"))) continue; // its memory file is behind a link (reported): no verdict, no repair
                report.HistoriesChecked++;
                memories.TryGetValue(stem, out var memory);
                malformed.TryGetValue(stem, out var damaged);
                if (memories.ContainsKey(stem) && memory == null && damaged == null) continue; // already reported: a newer format, never rewritten
                VerifyHistory(ns, Names.DecodeKey(stem) ?? memory?.Key ?? stem, new ProvenanceLog(path), memory, repair, report, damaged);
            }
        }

        /// <summary>Checks one memory file (key, header against value); returns it without its value (only version,
        /// hash and key are compared with its history), so the verifier holds one value at a time.</summary>
        private MemoryRecord CheckMemoryFile(string path, string ns, string stem, bool repair, StoreReport report, out long fileBytes)
        {
            byte[] bytes;
            using (var fs = OpenMemoryFile(path)) bytes = ReadMemoryBytes(fs, path);
            fileBytes = bytes.Length;
            var text = FileOps.DecodeText(bytes);
            var m = MemoryFile.Parse(text, ns, path, Names.DefaultBranch, headerOnly: false, out var recordedHash, out var valueBytes);
            if (Names.EncodeKey(m.Key) != stem)
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "MalformedMemory", $"'{path}' holds key '{m.Key}', which belongs in another file. -Repair leaves it as it is (it may be the only copy of '{m.Key}'): move it to '{Names.EncodeKey(m.Key)}.yaml' if that memory has no file, or else delete it; -Repair then rebuilds the memory this file belongs to from its history, if it has one.", path, ns, m.Key));
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

        /// <param name="damagedFile">The MalformedMemory finding of the memory's file, when it exists but does not parse.</param>
        private void VerifyHistory(string ns, string key, ProvenanceLog log, MemoryRecord? memory, bool repair, StoreReport report, StoreFinding? damagedFile = null)
        {
            LogTail? tail;
            try { tail = log.ReadTail(); }
            catch (EngramException ex) when (HistoryDamage.KindOf(ex) != null)
            {
                var kind = HistoryDamage.KindOf(ex)!;
                // Damage, not a crash: nothing is cut or rewritten. Walk what is there for everything else that is wrong;
                // the walk names the entry where it can (a broken chain, a trailer that does not match its entry).
                int before = report.Findings.Count;
                CheckFileHistory(log, new FileInfo(log.Path).Length, ns, key, report);
                if (!report.Findings.Skip(before).Any(f => f.Kind == kind))
                    report.Findings.Insert(before, new StoreFinding(FindingSeverity.Error, kind, ex.Message + RepairByHand, log.Path, ns, key));
                return;
            }
            catch (EngramException ex)
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, ex.ErrorId == EngramErrorIds.UnsupportedFormatVersion ? "UnsupportedFormat" : "MalformedProvenance", ex.Message, log.Path, ns, key));
                return;
            }
            if (tail == null) return;
            // ReadTail proved the bytes after the last complete entry an append that never finished. They are cut only
            // once the history before them verified and agrees with the memory file (as a writer's Reconcile does): a
            // memory file ahead of that history means the write finished, so those bytes are damage, never cut.
            StoreFinding? torn = null;
            if (tail.ValidLength < tail.FileLength)
            {
                torn = new StoreFinding(FindingSeverity.Warning, "TornAppend",
                    $"The history of '{key}' in '{ns}' ends with an incomplete entry ({tail.FileLength - tail.ValidLength} bytes) from an interrupted write.", log.Path, ns, key, tail.Seq + 1);
                report.Findings.Add(torn);
            }
            void CutTorn()
            {
                if (torn == null || !repair) return;
                FileOps.Truncate(log.Path, tail.ValidLength);
                torn.Repaired = true;
            }
            if (tail.Seq == 0) { CutTorn(); return; }

            var walk = CheckFileHistory(log, tail.ValidLength, ns, key, report);
            if (walk.Broken) return;
            ProvenanceEntry? last = walk.Last, lastMain = walk.LastMain;
            string? mainActionBeforeLast = walk.MainActionBeforeLast;

            // The main line's last entry must agree with the memory file.
            if (lastMain == null) { CutTorn(); return; }
            bool consistent = memory == null ? lastMain.Action == ProvenanceActions.Deleted
                : lastMain.Action != ProvenanceActions.Deleted && lastMain.Version == memory.Version && lastMain.ContentHash == memory.ContentHash;
            if (consistent) { CutTorn(); return; }
            if (damagedFile == null && LooksDangling(lastMain.Action, lastMain.Version, memory, () => IsFirstOrAfterDeletion(mainActionBeforeLast)))
            {
                var f = new StoreFinding(FindingSeverity.Warning, "DanglingEntry",
                    $"Entry {lastMain.Seq} of '{key}' in '{ns}' records a write that never completed (the process stopped before the memory file was replaced).", log.Path, ns, key, lastMain.Seq);
                report.Findings.Add(f);
                if (repair && lastMain == last)
                {
                    FileOps.Truncate(log.Path, tail.Start);
                    f.Repaired = true;
                    if (torn != null) torn.Repaired = true;
                }
                else CutTorn();
            }
            else if (damagedFile != null || FileLost(lastMain.Action, memory, () => IsFirstOrAfterDeletion(mainActionBeforeLast)))
            {
                CutTorn();
                RebuildFromHistory(ns, key, log, walk, damagedFile, repair, report);
            }
            else
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "HistoryMismatch",
                    $"The memory file of '{key}' in '{ns}' (version {memory?.Version.ToString() ?? "none"}) does not match its last history entry {lastMain.Seq} (version {lastMain.Version}, {lastMain.Action}).", log.Path, ns, key, lastMain.Seq));
            }
        }

        private const string RepairByHand = " -Repair does not change a damaged history: restore the .prov file from a backup, or move it out of the store"
            + " (the memory then continues untracked; its old history stays in the moved file).";

        /// <summary>
        /// A memory file that is missing (<see cref="FileLost"/>) or does not parse (<paramref name="damagedFile"/>)
        /// while its history verified: reported, and with <paramref name="repair"/> rebuilt from the newest main-line
        /// entry that holds the value of the last main version; a <c>repaired</c> entry (hash-chained like any entry)
        /// records it.
        /// </summary>
        private void RebuildFromHistory(string ns, string key, ProvenanceLog log, ChainWalk walk, StoreFinding? damagedFile, bool repair, StoreReport report)
        {
            var path = MemoryPath(ns, key);
            var f = ReportRebuild(walk, ns, key, path, damagedFile, report, out var source);
            if (!repair || source == null) return;
            var tail = log.ReadTail();
            var (record, entry) = Rebuilt(walk, source, ns, key, tail, damagedFile != null);
            // As a write: the entry first (the intent record), then the file by rename.
            long appendedAt = log.Append(entry, tail?.ValidLength ?? 0, Config.Durability);
            try { FileOps.WriteAtomic(path, MemoryFile.Serialize(record), TempDir, Config.Durability); }
            catch
            {
                FileOps.Truncate(log.Path, appendedAt);
                throw;
            }
            f.Repaired = true;
        }

        /// <summary>
        /// Reports a missing (or, with <paramref name="damagedFile"/>, unreadable) memory whose history verified, saying
        /// whether -Repair can rebuild it and from which entry (<paramref name="source"/>, null when no entry holds the
        /// last main version's value). Returns the finding to mark repaired. Shared by every backend.
        /// </summary>
        internal static StoreFinding ReportRebuild(ChainWalk walk, string ns, string key, string path, StoreFinding? damagedFile, StoreReport report, out ProvenanceEntry? source)
        {
            var lastMain = walk.LastMain!;
            source = walk.LastMainValued != null && walk.LastMainValued.Version == lastMain.Version
                && walk.LastMainValued.ContentHash == lastMain.ContentHash ? walk.LastMainValued : null;
            string what = damagedFile != null ? "does not parse" : "is missing";
            string message = source != null
                ? $"The memory '{key}' in '{ns}' {what}; its history is intact: -Repair rebuilds it from entry {source.Seq} (version {source.Version}) and records that in a 'repaired' entry."
                : $"The memory '{key}' in '{ns}' {what}; its history is intact but no entry holds the value of version {lastMain.Version} (freed by retention?), so it cannot be rebuilt: restore it from a backup, or write the memory again with Set-EngramMemory (its history continues).";
            if (damagedFile == null)
            {
                var f = new StoreFinding(FindingSeverity.Error, "MissingMemory", message, path, ns, key, lastMain.Seq);
                report.Findings.Add(f);
                return f;
            }
            var replaced = new StoreFinding(damagedFile.Severity, damagedFile.Kind, damagedFile.Message + " " + message, damagedFile.Path,
                damagedFile.Namespace ?? ns, damagedFile.Key ?? key, lastMain.Seq);
            report.Findings[report.Findings.IndexOf(damagedFile)] = replaced;
            return replaced;
        }

        /// <summary>
        /// The memory rebuilt from <paramref name="source"/> (same id, value and version as the last main entry; created
        /// when its life on main began; no tags: history does not hold them) and the <c>repaired</c> entry that follows
        /// <paramref name="tail"/>. Shared by every backend.
        /// </summary>
        internal static (MemoryRecord Record, ProvenanceEntry Entry) Rebuilt(ChainWalk walk, ProvenanceEntry source, string ns, string key, LogTail? tail, bool malformed)
        {
            var lastMain = walk.LastMain!;
            var record = new MemoryRecord(source.MemoryId, ns, key, source.Value, Array.Empty<string>(), lastMain.Version,
                walk.LifeStartUtc ?? source.TimestampUtc, source.TimestampUtc).WithContentHash(source.ContentHash!);
            var entry = NewEntry(tail, source.MemoryId, ns, key, ProvenanceActions.Repaired, NormalizeActor(null), DateTime.UtcNow, Names.DefaultBranch,
                lastMain.Version, $"rebuilt the memory from entry {source.Seq}: it {(malformed ? "did not parse" : "was missing")}", source.ContentHash, null, hasValue: false,
                details: new EngramMap(MapKind.Ordered) { { "from", source.Seq }, { "file", malformed ? "malformed" : "missing" } });
            return (record, entry);
        }

        /// <summary>
        /// <see cref="CheckChain"/> over a file history up to <paramref name="validLength"/>, with every trailer
        /// cross-checked against the entry it closes and the offset it really starts at (<c>TrailerMismatch</c>, which
        /// also ends the walk as broken).
        /// </summary>
        internal static ChainWalk CheckFileHistory(ProvenanceLog log, long validLength, string ns, string key, StoreReport report)
        {
            (long Seq, string Why)? mismatch = null;
            IEnumerable<ProvenanceEntry> Checked()
            {
                using (var scan = log.ScanTrailers(validLength).GetEnumerator())
                    foreach (var e in log.ReadAll(validLength, includeValues: true))
                    {
                        if (mismatch == null && scan.MoveNext())
                        {
                            var (start, _, t) = scan.Current;
                            var why = t == null ? "its trailer line cannot be read"
                                : t.Start != start ? $"its trailer says it starts at offset {t.Start}, it starts at {start}"
                                : ProvenanceLog.TrailerDisagreement(t, e);
                            if (why != null) mismatch = (e.Seq, why);
                        }
                        yield return e;
                    }
            }
            var walk = CheckChain(Checked(), ns, key, log.Path, report);
            if (mismatch != null)
            {
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "TrailerMismatch",
                    $"The history of '{key}' in '{ns}' has a trailer ('#~ …') that does not match entry {mismatch.Value.Seq}: {mismatch.Value.Why}." + RepairByHand,
                    log.Path, ns, key, mismatch.Value.Seq));
                walk.Broken = true;
            }
            return walk;
        }

        /// <summary>The first thing wrong with a file history (chain, sequence, versions, values, trailers), or null.</summary>
        internal static StoreFinding? FirstHistoryProblem(ProvenanceLog log, long validLength, string ns, string key)
        {
            var scratch = new StoreReport("");
            CheckFileHistory(log, validLength, ns, key, scratch);
            return scratch.Findings.FirstOrDefault(f => f.Severity != FindingSeverity.Information);
        }

        internal sealed class ChainWalk
        {
            public bool Broken;
            public ProvenanceEntry? Last, LastMain;
            /// <summary>The main-line action before the last main-line entry (squashes included).</summary>
            public string? MainActionBeforeLast;
            /// <summary>The newest main-line entry that holds its value (checked against its content hash).</summary>
            public ProvenanceEntry? LastMainValued;
            /// <summary>When the memory's current life on main began: its first main-line entry after the last deletion.</summary>
            public DateTime? LifeStartUtc;
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
            int? mainVersion = null;   // the main line's version so far (unknown after a squash)
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
                        mainVersion = null;
                        walk.LastMainValued = null;
                        continue;
                    }
                    if (e.Seq != expected)
                    {
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "SequenceGap", $"The history of '{key}' in '{ns}' has entry {e.Seq} where entry {expected} belongs (entries removed, reordered or repeated?).", path, ns, key, e.Seq));
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
                    if (e.Branch == Names.DefaultBranch && mainVersion.HasValue && (e.Version < mainVersion.Value || e.Version > mainVersion.Value + 1))
                    {
                        // Each main-line entry keeps the version (deleted, connected, repaired…) or adds one.
                        report.Findings.Add(new StoreFinding(FindingSeverity.Error, "VersionGap", $"The history of '{key}' in '{ns}' goes from version {mainVersion} to {e.Version} at entry {e.Seq}.", path, ns, key, e.Seq));
                        return Broken(walk);
                    }
                    bool large = e.Value is string text && text.Length >= LargeEntryChars;
                    // Checked: the walk keeps entries for their metadata only, and the value of the newest valued main-line
                    // entry (what a rebuild of a lost memory file needs): at most two values in memory at a time.
                    bool keepValue = e.Branch == Names.DefaultBranch && e.Action != ProvenanceActions.Deleted && e.HasValue;
                    if (!keepValue) e.Value = null;
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
                        if (IsFirstOrAfterDeletion(mainAction) && mainAction != ProvenanceActions.Squashed) walk.LifeStartUtc = e.TimestampUtc;
                        if (e.Action == ProvenanceActions.Deleted) walk.LastMainValued = null;
                        else if (e.HasValue)
                        {
                            if (walk.LastMainValued != null) walk.LastMainValued.Value = null; // replaced: its value is not needed
                            walk.LastMainValued = e;
                        }
                        mainAction = e.Action;
                        mainVersion = e.Version;
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
            if (!Directory.Exists(root) || report.Covers(root)) return;
            foreach (var nsDir in Directory.EnumerateDirectories(root).Where(d => !report.Covers(d)))
            {
                var ns = Path.GetFileName(nsDir);
                foreach (var bdir in Directory.EnumerateDirectories(nsDir).Where(d => !report.Covers(d)))
                {
                    var recordPath = Path.Combine(bdir, "branch.yaml");
                    if (report.Covers(recordPath)) continue; // reported as a link
                    report.BranchesChecked++;
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
                            foreach (var f in VerifiableFiles(d, "*.yaml", report))
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

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core
{
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
            StoreLock? writeLock = null;
            try
            {
                // LockForWrite also recovers interrupted transactions; record them first so the report says so.
                Rechecked(report, repair, Files.VerifyTransactions);
                if (repair)
                {
                    try { writeLock = LockForWrite(quarantineCorrupt: true); }
                    catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.UnsafeStorePath) { repair = false; } // a link in the way (reported below): nothing is repaired
                    if (writeLock != null) foreach (var f in report.Findings) f.Repaired = true;
                }
                Files.ScanLinks(report);

                Rechecked(report, repair, r => Files.VerifyTempFiles(r, repair));

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
            if (Storage is ISearchIndexCheck index) index.CheckSearchIndex(report, repair); // (takes the lock itself)
            return report;
        }

        /// <param name="only">When set, only the memories (and histories) whose file name stem it accepts.</param>
        private void VerifyNamespace(string ns, bool repair, StoreReport report, Func<string, bool>? only = null)
        {
            var memories = new Dictionary<string, MemoryRecord?>(StringComparer.Ordinal); // stem -> record (null: malformed)
            var malformed = new Dictionary<string, StoreFinding>(StringComparer.Ordinal); // stem -> its MalformedMemory finding
            var dir = Path.Combine(Root, ns);
            if (Directory.Exists(dir))
                foreach (var path in FileStorage.VerifiableFiles(dir, "*.yaml", report))
                {
                    var stem = Path.GetFileNameWithoutExtension(path);
                    if (only != null && !only(stem)) continue;
                    report.MemoriesChecked++;
                    try
                    {
                        memories[stem] = CheckMemoryFile(path, ns, stem, repair, report, out var fileBytes);
                        // Reading a large file leaves copies of its value as garbage, which the runtime frees only at a
                        // full collection: without one, the histories read next would add theirs on top (see CheckChain).
                        if (fileBytes >= ChainRules.LargeEntryChars) GC.Collect(2, GCCollectionMode.Forced, blocking: true);
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
            foreach (var path in FileStorage.VerifiableFiles(provDir, "*.prov", report))
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
                    $"The memory file of '{key}' in '{ns}' (version {memory?.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}) does not match its last history entry {lastMain.Seq} (version {lastMain.Version}, {lastMain.Action}).", log.Path, ns, key, lastMain.Seq));
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
            var f = ChainRules.ReportRebuild(walk, ns, key, path, damagedFile, report, out var source);
            if (!repair || source == null) return;
            var tail = log.ReadTail();
            var (record, entry) = ChainRules.Rebuilt(walk, source, ns, key, tail?.Seq ?? 0, tail?.Hash, damagedFile != null);
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
            var walk = ChainRules.CheckChain(Checked(), ns, key, log.Path, report);
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
                            foreach (var f in FileStorage.VerifiableFiles(d, "*.yaml", report))
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

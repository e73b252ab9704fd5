using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Storage
{
    /// <summary>
    /// A write session of the file storage: it holds the store's lock from its start to its disposal, stages every
    /// change, and makes them take effect at <see cref="Commit"/>, choosing how in one place:
    /// <list type="bullet">
    /// <item>one memory written or deleted, with at most one append to its own history: the fast path — the memory file
    /// is rendered to a temp file as soon as it is put, the entry is appended, then the temp file is renamed over the
    /// memory (a failure cuts the append off again; a crash between append and rename leaves a dangling entry, which the
    /// engine recognises: <see cref="IEngramStorage.CanLeaveDanglingEntries"/>);</item>
    /// <item>appends alone, or the configuration alone: written directly (an append is recognisable when torn);</item>
    /// <item>anything else: one <see cref="Transaction"/> through the <c>_txn</c> journal, all or nothing.</item>
    /// </list>
    /// Bytes after a history's last complete entry (an append torn by a crash) are cut when the session commits.
    /// </summary>
    internal sealed class FileWriteSession : FileView, IStorageWrite
    {
        private enum K { PutMemory, DeleteMemory, PutSlot, DeleteSlot, Append, ReplaceHistory, PutBranch, DropBranch, Config }

        private sealed class Op
        {
            public K Kind;
            public string Ns = "", Key = "", Branch = "";
            public BranchSlot Slot;
            public MemoryRecord? Memory;
            public HistoryTail? After;
            public IReadOnlyList<ProvenanceEntry>? Entries;
            public BranchRecord? BranchRecord;
            public StoreConfig? Config;
        }

        private readonly StoreLock? _lock; // null: the caller holds the lock (Test-EngramStore -Repair)
        private readonly List<Op> _ops = new List<Op>();
        private readonly Dictionary<string, StringBuilder> _derived = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
        private readonly List<FileTail> _torn = new List<FileTail>();
        private string? _tmp;               // the fast path's rendered memory file
        private RenderedMemory? _rendered;
        private bool _done;

        public FileWriteSession(FileStorage storage, bool repair) : base(storage)
        {
            _lock = storage.LockForWrite(repair);
        }

        /// <summary>A session under a lock the caller already holds (and keeps when the session is disposed).</summary>
        internal FileWriteSession(FileStorage storage) : base(storage) { }

        public StoreConfig Config => S.Config;

        // ------------------------------------------------------------------ reads for writing

        public override MemoryRecord? ReadMemory(string ns, string key, bool forWrite = false) =>
            forWrite ? ReadForWrite(ns, key) : S.TryGet(ns, key);

        public override HistoryTail? ReadTail(string ns, string key)
        {
            var log = S.Log(ns, key);
            if (!log.Exists) return null;
            var t = log.ReadTail(); // validated: damage throws before anything is touched
            if (t == null) return null;
            if (t.Seq == 0)
            {
                if (t.ValidLength < t.FileLength) _torn.Add(new FileTail(ns, key, log, t));
                return null;
            }
            var tail = new FileTail(ns, key, log, t);
            if (tail.Torn) _torn.Add(tail);
            return tail;
        }

        /// <summary>Memory files at least this large (bytes) are read from their header alone by writers.</summary>
        internal const int TrustHeaderFrom = FileStorage.TrustHeaderFrom;

        private MemoryRecord? ReadForWrite(string ns, string key) => S.ReadForWrite(ns, key);

        // ------------------------------------------------------------------ staging

        public void PutMemory(MemoryRecord memory, Func<string>? pendingHash = null)
        {
            if (_ops.Count == 0 && _derived.Count == 0 && _tmp == null)
            {
                // A fast-path candidate: render it now (a large value's hash may still be computed meanwhile, patched in
                // before the temp file is closed).
                _rendered = MemoryFile.Render(memory, pendingHash != null ? MemoryFile.HashPlaceholder : null);
                var rendered = _rendered;
                _tmp = FileOps.WriteTemp(S.TempDir, rendered.Segments, Config.Durability, beforeClose: pendingHash != null
                    ? fs =>
                    {
                        var known = pendingHash();
                        pendingHash = () => known;
                        var hash = FileOps.GetBytes(known);
                        if (hash.Length != MemoryFile.HashPlaceholder.Length) throw new InvalidOperationException("A content hash of unexpected length.");
                        fs.Seek(rendered.HashOffset, SeekOrigin.Begin);
                        fs.Write(hash, 0, hash.Length);
                    }
                    : (Action<FileStream>?)null);
            }
            if (pendingHash != null) memory.WithContentHash(pendingHash());
            _ops.Add(new Op { Kind = K.PutMemory, Ns = memory.Namespace, Key = memory.Key, Memory = memory });
        }

        public void DeleteMemory(string ns, string key) => _ops.Add(new Op { Kind = K.DeleteMemory, Ns = ns, Key = key });

        public void PutBranchMemory(string ns, string branch, BranchSlot slot, MemoryRecord memory) =>
            _ops.Add(new Op { Kind = K.PutSlot, Ns = ns, Key = memory.Key, Branch = branch, Slot = slot, Memory = memory });

        public void DeleteBranchMemory(string ns, string branch, BranchSlot slot, string key) =>
            _ops.Add(new Op { Kind = K.DeleteSlot, Ns = ns, Key = key, Branch = branch, Slot = slot });

        public void Append(HistoryTail? after, IReadOnlyList<ProvenanceEntry> entries)
        {
            if (entries.Count == 0) return;
            _ops.Add(new Op { Kind = K.Append, Ns = entries[0].Namespace, Key = entries[0].Key, After = after, Entries = entries });
        }

        public void ReplaceHistory(string ns, string key, IReadOnlyList<ProvenanceEntry> entries) =>
            _ops.Add(new Op { Kind = K.ReplaceHistory, Ns = ns, Key = key, Entries = entries });

        public void PutBranch(BranchRecord branch) => _ops.Add(new Op { Kind = K.PutBranch, Ns = branch.Namespace, Branch = branch.Name, BranchRecord = branch });

        public void DropBranch(string ns, string branch) => _ops.Add(new Op { Kind = K.DropBranch, Ns = ns, Branch = branch });

        public void AddDerived(string sourceNs, string sourceKey, int sourceVersion, ProvenanceEntry derived)
        {
            var path = S.DerivedIndexPath(sourceNs, sourceKey);
            if (!_derived.TryGetValue(path, out var sb)) _derived[path] = sb = new StringBuilder();
            sb.Append(derived.Namespace).Append('\t').Append(derived.Key).Append('\t').Append(derived.Version.ToString(CultureInfo.InvariantCulture))
              .Append('\t').Append(sourceVersion.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(derived.Seq.ToString(CultureInfo.InvariantCulture))
              .Append('\t').Append(derived.Branch).Append('\n');
        }

        public void PutConfig(StoreConfig config) => _ops.Add(new Op { Kind = K.Config, Config = config });

        /// <summary>A dangling entry is cut at once — but only after the whole history verified (chain, sequence,
        /// trailers): a complete entry of a damaged history is never cut.</summary>
        public void CutNewest(HistoryTail tail)
        {
            var ft = (FileTail)tail;
            var problem = FileStorage.FirstHistoryProblem(ft.Log, ft.Trailer.ValidLength, tail.Namespace, tail.Key);
            if (problem != null) throw HistoryDamage.Create(problem.Kind, problem.Message + " Nothing was written.", ft.Log.Path);
            FileOps.Truncate(ft.Log.Path, ft.Trailer.Start);
            _torn.RemoveAll(t => t.Log.Path == ft.Log.Path);
        }

        // ------------------------------------------------------------------ commit

        public void Commit()
        {
            if (_done) throw new InvalidOperationException("The write session has already been committed.");
            _done = true;
            foreach (var t in _torn) FileOps.Truncate(t.Log.Path, t.Trailer.ValidLength); // proven unfinished appends
            var durability = Config.Durability;
            var first = _ops.Count > 0 ? _ops[0] : null;
            if (_ops.Count == 0 && _derived.Count == 0) return;
            if (_derived.Count == 0 && first!.Kind == K.Config && _ops.Count == 1) { S.WriteConfig(first.Config!); return; }
            if (_derived.Count == 0 && _ops.Count == 1 && first!.Kind == K.Append && first.Entries!.Count == 1)
            {
                S.Log(first.Ns, first.Key).Append(first.Entries[0], StartOf(first.After), durability); // a torn append is recognisable
                return;
            }
            if (_derived.Count == 0 && (first!.Kind == K.PutMemory && _tmp != null || first.Kind == K.DeleteMemory) &&
                (_ops.Count == 1 || _ops.Count == 2 && _ops[1].Kind == K.Append && _ops[1].Ns == first.Ns && _ops[1].Key == first.Key && _ops[1].Entries!.Count == 1))
            {
                var index = S.Index.Prepare(first.Ns, createForNew: true); // none yet for memories already there: the journal builds it with the write
                if (index != null)
                {
                    CommitOne(first, _ops.Count == 2 ? _ops[1] : null, durability, index);
                    return;
                }
            }
            CommitJournal();
        }

        private static long StartOf(HistoryTail? after) => after is FileTail ft ? ft.Trailer.ValidLength : 0;

        /// <summary>The fast path: append the history entry and the search index record, then rename the memory file in (or
        /// delete it); a failure cuts both appends off. The index's log is compacted afterwards when it has grown enough.</summary>
        private void CommitOne(Op write, Op? append, Durability durability, SearchIndex.Appender index)
        {
            var ns = write.Ns;
            var key = write.Key;
            var memoryPath = S.MemoryPath(ns, key);
            var log = S.Log(ns, key);
            long appendedAt = -1;
            bool compact = false;
            try
            {
                var record = (write.Kind == K.PutMemory ? SearchIndex.FastRecord(write.Memory!) : new SearchLogRecord(key, null, null)).ToLine();
                if (append != null)
                {
                    var entry = append.Entries![0];
                    var sameValue = write.Memory != null && entry.HasValue && ReferenceEquals(entry.Value, write.Memory.Value) ? _rendered : null;
                    appendedAt = log.Append(entry, StartOf(append.After), durability, sameValue); // same value: rendered once
                    S.FaultHook?.Invoke("prov-appended");
                }
                index.Append(record);
                S.FaultHook?.Invoke("index-appended");
                if (write.Kind == K.PutMemory)
                {
                    FileOps.ReplaceByRenameCreatingDirectory(_tmp!, memoryPath);
                    _tmp = null;
                }
                else File.Delete(memoryPath);
                compact = index.WantsCompaction;
            }
            catch (SimulatedCrashException)
            {
                _tmp = null; // a killed process leaves its temp file (the next writer's _tmp sweep removes it)
                throw;
            }
            catch (Exception ex)
            {
                index.CutBack();
                if (appendedAt >= 0) FileOps.Truncate(log.Path, appendedAt);
                if (ex is EngramException) throw;
                throw new EngramException(EngramErrorIds.WriteFailed, EngramErrorKind.WriteError,
                    $"{(write.Kind == K.PutMemory ? "Writing" : "Removing")} memory '{key}' in '{ns}' failed and was rolled back: {ex.Message}", ns + "/" + key, ex);
            }
            finally
            {
                index.Dispose();
            }
            if (compact) S.Index.Compact(ns);
        }

        /// <summary>The search index records of the main-line memories this session writes or removes, per namespace, in order.</summary>
        private Dictionary<string, List<SearchLogRecord>> IndexRecords()
        {
            var records = new Dictionary<string, List<SearchLogRecord>>(StringComparer.Ordinal);
            foreach (var o in _ops)
            {
                if (o.Kind != K.PutMemory && o.Kind != K.DeleteMemory) continue;
                if (!records.TryGetValue(o.Ns, out var list)) records[o.Ns] = list = new List<SearchLogRecord>();
                list.Add(o.Kind == K.PutMemory ? SearchIndex.Record(o.Memory!) : new SearchLogRecord(o.Key, null, null));
            }
            return records;
        }

        /// <summary>Everything else: one journalled transaction.</summary>
        private void CommitJournal()
        {
            var dropped = new List<string>();
            StoreConfig? config = null;
            var appended = new Dictionary<string, long>(StringComparer.Ordinal); // log path -> end of what this session appends
            using (var txn = S.BeginTransaction())
            {
                foreach (var o in _ops)
                {
                    switch (o.Kind)
                    {
                        case K.PutMemory:
                            txn.Write(S.MemoryPath(o.Ns, o.Key), MemoryFile.Serialize(o.Memory!));
                            break;
                        case K.DeleteMemory:
                            txn.Delete(S.MemoryPath(o.Ns, o.Key));
                            break;
                        case K.PutSlot:
                            txn.Write(S.SlotPath(o.Ns, o.Branch, o.Slot, o.Key), MemoryFile.Serialize(o.Memory!));
                            break;
                        case K.DeleteSlot:
                            var slotPath = S.SlotPath(o.Ns, o.Branch, o.Slot, o.Key);
                            if (File.Exists(slotPath)) txn.Delete(slotPath);
                            break;
                        case K.Append:
                            var logPath = S.ProvenancePath(o.Ns, o.Key);
                            long start = StartOf(o.After), offset = start;
                            var sb = new StringBuilder();
                            foreach (var e in o.Entries!)
                            {
                                var text = ProvenanceLog.Serialize(e, offset);
                                offset += Encoding.UTF8.GetByteCount(text);
                                sb.Append(text);
                            }
                            if (appended.ContainsKey(logPath)) throw new InvalidOperationException("Two appends to one history in a session: append the entries together.");
                            // A new history (a batch creates many) is a new file renamed in, like a memory: cheaper than an
                            // append that copies its staged bytes; the journal makes it all or nothing either way.
                            if (o.After == null && !File.Exists(logPath)) txn.Write(logPath, sb.ToString());
                            else txn.Append(logPath, sb.ToString(), start);
                            appended[logPath] = offset;
                            break;
                        case K.ReplaceHistory:
                            var historyPath = S.ProvenancePath(o.Ns, o.Key);
                            if (o.Entries!.Count == 0) { if (File.Exists(historyPath)) txn.Delete(historyPath); break; }
                            var whole = new StringBuilder();
                            long at = 0;
                            foreach (var e in o.Entries)
                            {
                                var text = ProvenanceLog.Serialize(e, at);
                                at += Encoding.UTF8.GetByteCount(text);
                                whole.Append(text);
                            }
                            txn.Write(historyPath, whole.ToString());
                            break;
                        case K.PutBranch:
                            txn.Write(S.BranchRecordPath(o.Ns, o.Branch), o.BranchRecord!.ToYaml());
                            break;
                        case K.DropBranch:
                            txn.DeleteTree(S.BranchDir(o.Ns, o.Branch));
                            dropped.Add(o.Ns);
                            break;
                        case K.Config:
                            txn.Write(S.ConfigPath, o.Config!.ToYaml());
                            config = o.Config;
                            break;
                    }
                }
                foreach (var d in _derived)
                {
                    long length = File.Exists(d.Key) ? new FileInfo(d.Key).Length : 0;
                    txn.Append(d.Key, d.Value.ToString(), length);
                }
                foreach (var r in IndexRecords()) S.Index.Stage(txn, r.Key, r.Value);
                txn.Commit();
            }
            if (config != null) S.ForgetConfig();
            foreach (var ns in dropped.Distinct())
            {
                var nsDir = S.BranchesDir(ns);
                try { if (Directory.Exists(nsDir) && !Directory.EnumerateFileSystemEntries(nsDir).Any()) Directory.Delete(nsDir); }
                catch (IOException) { }
            }
        }

        public override void Dispose()
        {
            if (_tmp != null) FileOps.TryDelete(_tmp);
            _tmp = null;
            _rendered?.Dispose();
            _rendered = null;
            _lock?.Dispose();
            base.Dispose();
        }
    }
}

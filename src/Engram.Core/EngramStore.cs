using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core
{
    /// <summary>
    /// An Engram store on disk. Reads never lock and never open provenance files; writes take the store's
    /// cross-process lock, write files to temp and rename them into place, and keep memory file and provenance
    /// entry consistent (the entry is appended first; if the memory file cannot be replaced the entry is cut off again,
    /// and an entry left dangling by a crash is cut off by the next writer).
    /// </summary>
    public sealed partial class EngramStore : Engine.EngramEngine
    {
        private readonly EngramStoreOptions _options;
        private readonly StorePaths _paths;

        public EngramStore(string root, EngramStoreOptions? options = null) : this(new FileStorage(root, options)) { }

        private EngramStore(FileStorage files) : base(files)
        {
            Files = files;
            _options = files.Options;
            _paths = files.Paths;
        }

        /// <summary>The file storage this store keeps its records in.</summary>
        internal FileStorage Files { get; }

        /// <summary>
        /// Test hook: called at each step of a multi-file transaction ("staged", "intent-written", "committed",
        /// "applied-N", "before-cleanup") and of a single write ("prov-appended"). Throwing there rolls the change back;
        /// throwing <see cref="SimulatedCrashException"/> leaves the files as a killed process would.
        /// </summary>
        public Action<string>? FaultHook { get => Files.FaultHook; set => Files.FaultHook = value; }

        /// <summary>Transactions finished or discarded by the last writer that found them interrupted.</summary>
        public IReadOnlyList<Transaction.RecoveryAction> LastRecovery => Files.LastRecovery;

        public string ConfigPath => Files.ConfigPath;
        private string TempDir => Files.TempDir;

        // (while issue #14 moves the rest of this class into the engine, its remaining parts use the file storage's helpers)
        public string MemoryPath(string ns, string key) => Files.MemoryPath(ns, key);
        public string ProvenancePath(string ns, string key) => Files.ProvenancePath(ns, key);
        internal StoreLock LockForWrite(bool quarantineCorrupt = false) => Files.LockForWrite(quarantineCorrupt);
        internal Transaction BeginTransaction() => Files.BeginTransaction();
        private string? TryReadText(string path) => Files.TryReadText(path);
        internal void CheckFileSize(string path, long length) => Files.CheckFileSize(path, length);
        protected override string HistoryOrigin(string ns, string key) => ProvenancePath(ns, key);
        internal MemoryRecord? TryGetForWrite(string ns, string key) => Files.ReadForWrite(ns, key);
        private static FileStream OpenMemoryFile(string path) => Engram.Core.Storage.FileStorage.OpenMemoryFile(path);
        private byte[] ReadMemoryBytes(FileStream fs, string path) => Files.ReadMemoryBytes(fs, path);

        /// <summary>Memory files at least this large (bytes) are read from their header alone by writers.</summary>
        internal const int TrustHeaderFrom = Engram.Core.Storage.FileWriteSession.TrustHeaderFrom;
        /// <summary>Strings at least this long (chars) are hashed on a worker thread while a Set does its I/O.</summary>
        internal const int OverlapHashingFrom = Engine.Rules.WriteRules.OverlapHashingFrom;

        // The rules, where the parts of this class not yet moved into the engine (and the SQL store) find them.
        internal static string NormalizeActor(string? actor) => Engine.Rules.WriteRules.NormalizeActor(actor);
        internal static CheckedWrite CheckWrite(SetRequest request, long maxValueBytes, bool overlapHashing = false) =>
            Engine.Rules.WriteRules.CheckWrite(request, maxValueBytes, overlapHashing);
        internal static bool Tracked(SetRequest request, bool hasHistory, StoreConfig config, string ns, string key, bool mainLine) =>
            Engine.Rules.WriteRules.Tracked(request, hasHistory, config, ns, key, mainLine);
        internal static bool LooksDangling(string action, int version, MemoryRecord? current, Func<bool> firstOrAfterDeletion) =>
            Engine.Rules.HistoryRules.LooksDangling(action, version, current, firstOrAfterDeletion);
        internal static bool FileLost(string action, MemoryRecord? current, Func<bool> firstOrAfterDeletion) =>
            Engine.Rules.HistoryRules.FileLost(action, current, firstOrAfterDeletion);
        internal static bool IsFirstOrAfterDeletion(string? previousMainAction) => Engine.Rules.HistoryRules.IsFirstOrAfterDeletion(previousMainAction);
        internal static ProvenanceEntry NewEntry(LogTail? tail, string id, string ns, string key, string action, string actor,
            DateTime now, string branch, int version, string? reason, string? contentHash, object? value, bool hasValue = true,
            EngramMap? details = null, ProvenanceEntry? previous = null) =>
            Engine.Rules.WriteRules.NewEntry(tail?.Seq ?? 0, tail?.Hash, id, ns, key, action, actor, now, branch, version, reason, contentHash, value, hasValue, details, previous);
        internal static ProvenanceEntry ForkedEntry(LogTail? tail, MemoryRecord from, string ns, string key, string actor, DateTime now,
            string branch, string? reason, string? conflictWith = null) =>
            Engine.Rules.WriteRules.ForkedEntry(tail?.Seq ?? 0, tail?.Hash, from, ns, key, actor, now, branch, reason, conflictWith);

        /// <summary>The store at the default location (see <see cref="StoreLocator.DefaultRoot"/>).</summary>
        public static EngramStore OpenDefault(EngramStoreOptions? options = null) => new EngramStore(StoreLocator.DefaultRoot(), options);

        // ------------------------------------------------------------------ reads (no lock, no .prov)

        internal static EngramException NotFound(string ns, string key) => StoreErrors.MemoryMissing(ns, key);

        // ------------------------------------------------------------------ writes

        /// <summary>
        /// Makes the log agree with the memory file before a write: cuts off a torn append (bytes <see cref="ProvenanceLog.ReadTail"/>
        /// proved to be an unfinished append) or one entry left dangling by a writer that died between appending and
        /// renaming (<see cref="LooksDangling"/>; only after the whole history verified). Decides everything before it
        /// changes a byte: damaged history, or history that disagrees with the memory file, is refused with
        /// <c>MalformedProvenance</c> and every file is left as it was. A memory file that is gone while its history is
        /// intact (<see cref="FileLost"/>) lets the write continue that history. Returns the (new) tail.
        /// </summary>
        private LogTail? Reconcile(ProvenanceLog log, MemoryRecord? current, string ns, string key)
        {
            var tail = log.ReadTail(); // validated: damage throws before anything is touched
            if (tail == null) return null;
            bool torn = tail.ValidLength < tail.FileLength;
            if (tail.Seq == 0)
            {
                if (torn) FileOps.Truncate(log.Path, 0);
                return null;
            }
            bool keep = tail.Branch != Names.DefaultBranch || Consistent(tail, current) // branch entries are transactional
                || FileLost(tail.Action, current, () => IsFirstOrFollowsDeletion(log, tail));
            if (keep)
            {
                if (torn) FileOps.Truncate(log.Path, tail.ValidLength);
                return tail;
            }
            if (!LooksDangling(tail.Action, tail.Version, current, () => IsFirstOrFollowsDeletion(log, tail)))
                throw new EngramException(EngramErrorIds.MalformedProvenance, EngramErrorKind.InvalidData,
                    $"The history of '{key}' in '{ns}' (entry {tail.Seq}, version {tail.Version}) does not match its memory file (version {current?.Version.ToString() ?? "none"}). Nothing was written; check the store with Test-EngramStore.", log.Path);
            // The decision walked earlier trailers: before a complete entry is cut, the whole history must verify.
            var problem = FirstHistoryProblem(log, tail.ValidLength, ns, key);
            if (problem != null) throw HistoryDamage.Create(problem.Kind, problem.Message + " Nothing was written.", log.Path);
            FileOps.Truncate(log.Path, tail.Start);
            var previous = log.ReadTail();
            return previous == null || previous.Seq == 0 ? null : previous;
        }

        /// <summary>
        /// With no memory file, only a (re-)create can have died after its append: its entry is the first on main or
        /// follows a deletion. Anything else (say a revision, when the file was deleted by hand) is committed history,
        /// which must not be cut.
        /// </summary>
        private static bool IsFirstOrFollowsDeletion(ProvenanceLog log, LogTail tail)
        {
            using (var fs = log.OpenForRandomRead())
            {
                var prev = log.ReadPreviousTail(fs, tail.Start);
                while (prev != null && prev.Branch != Names.DefaultBranch) prev = log.ReadPreviousTail(fs, prev.Start);
                return IsFirstOrAfterDeletion(prev?.Action);
            }
        }

        private static bool Consistent(LogTail tail, MemoryRecord? current) =>
            current == null ? tail.Action == ProvenanceActions.Deleted : tail.Action != ProvenanceActions.Deleted && tail.Version == current.Version;

        // ------------------------------------------------------------------ provenance reads

        // ------------------------------------------------------------------ helpers

        /// <summary>Stages the append of one or more consecutive entries to a log.</summary>
        internal static void StageAppend(Transaction txn, ProvenanceLog log, LogTail? tail, params ProvenanceEntry[] entries)
        {
            long start = tail?.ValidLength ?? 0, offset = start;
            var sb = new System.Text.StringBuilder();
            foreach (var e in entries)
            {
                var text = ProvenanceLog.Serialize(e, offset);
                offset += System.Text.Encoding.UTF8.GetByteCount(text);
                sb.Append(text);
            }
            txn.Append(log.Path, sb.ToString(), start);
        }

    }
}

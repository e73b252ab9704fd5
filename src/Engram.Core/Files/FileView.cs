using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Storage
{
    /// <summary>A history tail of the file storage: the trailer of a log's last complete entry, and where it is.</summary>
    internal sealed class FileTail : HistoryTail
    {
        public FileTail(string ns, string key, ProvenanceLog log, LogTail t)
            : base(ns, key, t.Seq, t.Version, t.Action, t.Hash, t.Branch)
        {
            Log = log;
            Trailer = t;
        }

        public ProvenanceLog Log { get; }
        public LogTail Trailer { get; }
        /// <summary>Bytes after the last complete entry: an append a crash tore (cut by the next commit).</summary>
        public bool Torn => Trailer.ValidLength < Trailer.FileLength;
    }

    /// <summary>The file storage's reading primitives (stateless: reads never lock and need no session).</summary>
    internal class FileView : IStorageView
    {
        protected readonly FileStorage S;

        public FileView(FileStorage storage) { S = storage; }

        public virtual void Dispose() { }

        // ------------------------------------------------------------------ memories

        public virtual MemoryRecord? ReadMemory(string ns, string key, bool forWrite = false) => S.TryGet(ns, key);

        public IEnumerable<MemoryLocation> ListMemories(string ns)
        {
            var dir = Path.Combine(S.Root, ns);
            if (!Directory.Exists(dir)) return Array.Empty<MemoryLocation>();
            // A folder has no order, so every name is read before the first is given out: only the names are held (the
            // key, and the file's stem only where it is not the key's own encoding), a location is made as it is used.
            var names = new List<ListedName>();
            foreach (var path in S.Paths.Files(dir, "*.yaml", proveEach: false)) // each is proven when read (ReadListed)
            {
                var stem = Path.GetFileNameWithoutExtension(path);
                var key = Names.DecodeKey(stem);
                if (key == null && !stem.StartsWith("~", StringComparison.Ordinal)) continue; // not ours
                names.Add(new ListedName(key, key != null && Names.EncodeKey(key) == stem ? null : stem));
            }
            names.Sort((a, b) => Names.KeyOrder.Compare(a.SortName, b.SortName));
            return Locations(ns, dir, names);
        }

        private static IEnumerable<MemoryLocation> Locations(string ns, string dir, List<ListedName> names)
        {
            foreach (var n in names)
                yield return new MemoryLocation(ns, n.Key, Path.Combine(dir, (n.Stem ?? Names.EncodeKey(n.Key!)) + ".yaml"));
        }

        /// <summary>A listed memory file: its key (null for a hashed long key, read from the file), and its stem when that
        /// is not the key's encoding.</summary>
        private readonly struct ListedName
        {
            public ListedName(string? key, string? stem)
            {
                Key = key;
                Stem = stem;
            }

            public string? Key { get; }
            public string? Stem { get; }

            /// <summary>The key, or (a hashed long key, known only once its file is read) the stem.</summary>
            public string SortName => Key ?? Stem!;
        }

        public MemoryRecord ReadListed(MemoryLocation location)
        {
            S.Paths.Prove(location.Path); // found by listing: proven before it is read
            var text = S.TryReadText(location.Path) ?? throw StoreErrors.MemoryMissing(location.Namespace, location.Key ?? Path.GetFileName(location.Path));
            var m = MemoryFile.Parse(text, location.Namespace, location.Path);
            // A file must hold the key its name stands for (else one key could be listed twice).
            string? stem;
            try { stem = Names.EncodeKey(m.Key); }
            catch (EngramException) { stem = null; }
            if (!string.Equals(stem, Path.GetFileNameWithoutExtension(location.Path), StringComparison.Ordinal))
                throw MemoryFile.Malformed(location.Path, $"it holds key '{m.Key}', which is not the key its file name stands for");
            return m;
        }

        public IReadOnlyList<string> Namespaces()
        {
            if (!Directory.Exists(S.Root)) return Array.Empty<string>();
#pragma warning disable CA1862 // not a case-insensitive comparison: "is the folder name already lower case"
            return Directory.EnumerateDirectories(S.Root)
                .Select(Path.GetFileName)
                .Where(n => n != null && n.Length > 0 && n[0] != '_' && Names.IsValidNamespace(n) && n == n.ToLowerInvariant())
                .Select(n => n!)
                .Where(n => HoldsMemories(Path.Combine(S.Root, n))) // a folder its last memory left holds none
                .OrderBy(n => n, StringComparer.Ordinal)
                .ToList();
#pragma warning restore CA1862
        }

        /// <summary>A namespace folder with a memory file in it (a link is kept, unread: readers refuse it with UnsafeStorePath).</summary>
        private static bool HoldsMemories(string dir) => StorePaths.IsLink(dir) || Directory.EnumerateFiles(dir, "*.yaml").Any();

        public int CountMemories(string ns)
        {
            var dir = Path.Combine(S.Root, ns);
            return Directory.Exists(dir) ? S.Paths.Files(dir, "*.yaml", proveEach: false).Count() : 0;
        }

        // ------------------------------------------------------------------ branches

        public MemoryRecord? ReadBranchMemory(string ns, string branch, BranchSlot slot, string key) =>
            S.ReadFile(S.SlotPath(ns, branch, slot, key), ns, branch);

        public IReadOnlyList<MemoryRecord> ReadBranchMemories(string ns, string branch, BranchSlot slot)
        {
            var dir = S.SlotDir(ns, branch, slot);
            var result = new List<MemoryRecord>();
            if (!Directory.Exists(dir)) return result;
            foreach (var f in S.Paths.Files(dir, "*.yaml").OrderBy(f => f, StringComparer.Ordinal))
            {
                var m = S.ReadFile(f, ns, branch);
                if (m != null) result.Add(m);
            }
            return result;
        }

        public BranchRecord? ReadBranch(string ns, string branch) => S.TryGetBranch(ns, branch);

        public IReadOnlyList<KeyValuePair<BranchRecord, int>> ReadBranches(string? ns)
        {
            var result = new List<KeyValuePair<BranchRecord, int>>();
            var all = Path.Combine(S.Root, FileStorage.BranchesFolder);
            var namespaces = ns != null ? new[] { ns }
                : Directory.Exists(all)
                    ? S.Paths.Directories(all).Select(Path.GetFileName).Where(n => n != null && Names.IsValidNamespace(n)).Select(n => n!).ToArray()
                    : Array.Empty<string>();
            foreach (var n in namespaces.OrderBy(x => x, StringComparer.Ordinal))
            {
                var dir = Path.Combine(S.Root, FileStorage.BranchesFolder, n);
                if (S.Paths.Prove(dir) != PathKind.Directory) continue; // one probe on the hot path when there are no branches
                foreach (var bdir in S.Paths.Directories(dir).OrderBy(x => x, StringComparer.Ordinal))
                {
                    var path = S.Paths.Proven(Path.Combine(bdir, "branch.yaml"));
                    var text = S.TryReadText(path);
                    if (text == null) continue;
                    var record = BranchRecord.Parse(text, path);
                    var mem = Path.Combine(bdir, "mem");
                    int changed = Directory.Exists(mem) ? S.Paths.Files(mem, "*.yaml", proveEach: false).Count() : 0;
                    result.Add(new KeyValuePair<BranchRecord, int>(record, changed));
                }
            }
            return result;
        }

        // ------------------------------------------------------------------ histories

        public virtual HistoryTail? ReadTail(string ns, string key)
        {
            var log = S.Log(ns, key);
            if (!log.Exists) return null;
            var t = log.ReadTail(); // validated: damage throws
            return t == null || t.Seq == 0 ? null : new FileTail(ns, key, log, t);
        }

        public HistoryTail? ReadPrevious(HistoryTail tail)
        {
            var ft = (FileTail)tail;
            using (var fs = ft.Log.OpenForRandomRead())
            {
                var p = ft.Log.ReadPreviousTail(fs, ft.Trailer.Start);
                return p == null || p.Seq == 0 ? null : new FileTail(tail.Namespace, tail.Key, ft.Log, p);
            }
        }

        public ProvenanceEntry ReadEntry(HistoryTail tail, bool includeValues)
        {
            var ft = (FileTail)tail;
            using (var fs = ft.Log.OpenForRandomRead()) return ft.Log.ReadEntry(fs, ft.Trailer.Start, ft.Trailer.ValidLength, includeValues);
        }

        public IReadOnlyList<ProvenanceEntry> ReadNewest(HistoryTail upTo, int count, string? branch, bool includeValues)
        {
            var ft = (FileTail)upTo;
            var result = new List<ProvenanceEntry>(Math.Min(count, 1024));
            using (var fs = ft.Log.OpenForRandomRead())
            {
                LogTail? t = ft.Trailer;
                while (t != null && t.Seq > 0 && result.Count < count)
                {
                    if (branch == null || t.Branch == branch) result.Add(ft.Log.ReadEntry(fs, t.Start, t.ValidLength, includeValues));
                    t = ft.Log.ReadPreviousTail(fs, t.Start);
                }
            }
            result.Reverse();
            return result;
        }

        public IEnumerable<ProvenanceEntry> ReadHistory(string ns, string key, HistoryTail? upTo, bool includeValues)
        {
            if (upTo is FileTail ft) return ft.Log.ReadAll(ft.Trailer.ValidLength, includeValues);
            var t = ReadTail(ns, key) as FileTail;
            return t == null ? Array.Empty<ProvenanceEntry>() : t.Log.ReadAll(t.Trailer.ValidLength, includeValues);
        }

        public IEnumerable<KeyValuePair<string, string>> Histories(string? ns)
        {
            var provRoot = Path.Combine(S.Root, Names.ProvenanceNamespace);
            if (!Directory.Exists(provRoot)) yield break;
            var namespaces = ns != null ? new List<string> { ns }
                : S.Paths.Directories(provRoot).Select(Path.GetFileName).Where(n => n != null && Names.IsValidNamespace(n)).Select(n => n!)
                    .OrderBy(n => n, StringComparer.Ordinal).ToList();
            foreach (var n in namespaces)
            {
                var dir = Path.Combine(provRoot, n);
                if (!Directory.Exists(dir)) continue;
                foreach (var path in S.Paths.Files(dir, "*.prov").OrderBy(p => p, StringComparer.Ordinal))
                {
                    var log = new ProvenanceLog(path);
                    var tail = log.ReadTail();
                    if (tail == null || tail.Seq == 0) continue;
                    yield return new KeyValuePair<string, string>(n, Names.DecodeKey(Path.GetFileNameWithoutExtension(path)) ?? log.ReadTailEntry(tail).Key);
                }
            }
        }

        public IEnumerable<DerivedLink> ReadDerived(string ns, string key)
        {
            var text = S.TryReadText(S.DerivedIndexPath(ns, key));
            if (text == null) yield break;
            foreach (var line in text.Split('\n'))
            {
                var p = line.Split('\t');
                if (p.Length < 5 || !int.TryParse(p[2], NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                    || !int.TryParse(p[3], NumberStyles.None, CultureInfo.InvariantCulture, out var sv)
                    || !long.TryParse(p[4], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)) continue;
                yield return new DerivedLink(p[0], p[1], v, sv, seq);
            }
        }
    }
}

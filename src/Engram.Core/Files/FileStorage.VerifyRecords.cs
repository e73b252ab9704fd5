using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core.Provenance;

namespace Engram.Core.Storage
{
    // The verifier's reading of memories, histories and branches as files (IVerifiedLayout): every file as it lies,
    // whether or not it parses, and nothing under a link the scan found.
    public sealed partial class FileStorage
    {
        IReadOnlyList<string> IVerifiedLayout.Namespaces(IStorageView view, StoreReport report)
        {
            var provRoot = Path.Combine(Root, Names.ProvenanceNamespace);
            var provNamespaces = Directory.Exists(provRoot) && !report.Covers(provRoot)
                ? Directory.EnumerateDirectories(provRoot).Select(Path.GetFileName).Where(n => n != null && Names.IsValidNamespace(n)).Select(n => n!)
                : Enumerable.Empty<string>();
            return view.Namespaces().Union(provNamespaces).OrderBy(n => n, StringComparer.Ordinal).ToList();
        }

        IEnumerable<StoredItem> IVerifiedLayout.Memories(IStorageView view, string ns, StoreReport report)
        {
            var dir = Path.Combine(Root, ns);
            if (!Directory.Exists(dir)) yield break;
            foreach (var path in VerifiableFiles(dir, "*.yaml", report))
            {
                var stem = Path.GetFileNameWithoutExtension(path);
                yield return new StoredItem(ns, stem, Names.DecodeKey(stem), path);
            }
        }

        IEnumerable<StoredItem> IVerifiedLayout.Histories(IStorageView view, string ns, StoreReport report, bool alone)
        {
            var dir = Path.Combine(Root, Names.ProvenanceNamespace, ns);
            if (!alone)
            {
                if (!Directory.Exists(dir)) yield break;
                var memories = Path.Combine(Root, ns);
                foreach (var path in VerifiableFiles(dir, "*.prov", report))
                {
                    var stem = Path.GetFileNameWithoutExtension(path);
                    if (report.Covers(Path.Combine(memories, stem + ".yaml"))) continue; // its memory file is behind a link (reported): no verdict, no repair
                    yield return new StoredItem(ns, stem, Names.DecodeKey(stem), path);
                }
                yield break;
            }
            if (!Directory.Exists(dir) || UnsafeFinding(dir, ns, null, report)) yield break;
            foreach (var path in Directory.EnumerateFiles(dir, "*.prov").OrderBy(p => p, StringComparer.Ordinal).ToList())
            {
                var stem = Path.GetFileNameWithoutExtension(path);
                if (UnsafeFinding(path, ns, Names.DecodeKey(stem), report)) continue;
                var key = Names.DecodeKey(stem);
                if (key == null)
                {
                    var log = new ProvenanceLog(path);
                    try { var tail = log.ReadTail(); key = tail != null && tail.Seq > 0 ? log.ReadTailEntry(tail).Key : null; }
                    catch (EngramException) { } // damage: the history check reports it
                    key = key ?? Path.GetFileName(path);
                }
                yield return new StoredItem(ns, stem, key, path);
            }
        }

        /// <summary>Checks one memory file (key, header against value); returns it (the engine keeps its header only).
        /// A header whose content hash or value size does not match the value is a Warning that repair rewrites.</summary>
        MemoryRecord IVerifiedLayout.CheckMemory(IStorageView view, StoredItem memory, StoreReport report, bool repair)
        {
            string path = memory.Origin, ns = memory.Namespace, stem = memory.Stem;
            string text;
            long valueSectionBytes, fileBytes;
            using (var fs = OpenMemoryFile(path))
            {
                var bytes = ReadMemoryBytes(fs, path);
                fileBytes = bytes.Length;
                text = FileOps.DecodeText(bytes);
                valueSectionBytes = ValueSectionBytes(text, bytes);
            } // the bytes are garbage before the value is parsed: one copy less at a time (after a full collection)
            if (fileBytes >= Engine.Rules.ChainRules.LargeEntryChars) GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            var m = MemoryFile.Parse(text, ns, path, Names.DefaultBranch, headerOnly: false, out var recordedHash, out var valueBytes);
            text = null!;
            if (Names.EncodeKey(m.Key) != stem)
                report.Findings.Add(new StoreFinding(FindingSeverity.Error, "MalformedMemory", $"'{path}' holds key '{m.Key}', which belongs in another file. -Repair leaves it as it is (it may be the only copy of '{m.Key}'): move it to '{Names.EncodeKey(m.Key)}.yaml' if that memory has no file, or else delete it; -Repair then rebuilds the memory this file belongs to from its history, if it has one.", path, ns, m.Key));
            else if (recordedHash != null && (recordedHash != m.ContentHash || valueBytes != valueSectionBytes))
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
            // Reading a large file leaves copies of its value as garbage, which the runtime frees only at a full
            // collection: without one, the histories read next would add theirs on top.
            if (fileBytes >= Engine.Rules.ChainRules.LargeEntryChars) GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            return m;
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

        bool IVerifiedLayout.AnchorReadable(string ns, string key, StoreReport report) =>
            !UnsafeFinding(Path.Combine(Root, Names.ProvenanceNamespace, ns, Names.EncodeKey(key) + ".prov"), ns, key, report)
            && !UnsafeFinding(Path.Combine(Root, ns, Names.EncodeKey(key) + ".yaml"), ns, key, report);

        HistoryUnderCheck IVerifiedLayout.History(IStorageView view, string ns, string key, StoredItem? stored) =>
            new LogHistory(new ProvenanceLog(stored?.Origin ?? Path.Combine(Root, Names.ProvenanceNamespace, ns, Names.EncodeKey(key) + ".prov")));

        /// <summary>The first thing wrong with a history up to <paramref name="validLength"/> (chain, sequence, versions,
        /// values, trailers), or null: a writer cuts a dangling entry only from a history that verifies.</summary>
        internal static StoreFinding? FirstHistoryProblem(ProvenanceLog log, long validLength, string ns, string key) =>
            Engine.Rules.ChainRules.FirstProblem(new LogHistory(log, validLength), ns, key);

        IEnumerable<StoredItem> IVerifiedLayout.Branches(IStorageView view, StoreReport report)
        {
            var root = Path.Combine(Root, BranchesFolder);
            if (!Directory.Exists(root) || report.Covers(root)) yield break;
            foreach (var nsDir in Directory.EnumerateDirectories(root).Where(d => !report.Covers(d)))
            {
                var ns = Path.GetFileName(nsDir);
                foreach (var bdir in Directory.EnumerateDirectories(nsDir).Where(d => !report.Covers(d)))
                {
                    var recordPath = Path.Combine(bdir, "branch.yaml");
                    if (report.Covers(recordPath)) continue; // reported as a link
                    yield return new StoredItem(ns, Path.GetFileName(bdir), null, recordPath);
                }
            }
        }

        BranchRecord? IVerifiedLayout.ReadBranch(IStorageView view, StoredItem branch)
        {
            var recordPath = branch.Origin;
            var bdir = Path.GetDirectoryName(recordPath)!;
            if (!File.Exists(recordPath)) throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"The branch folder '{bdir}' has no branch.yaml.", bdir);
            var record = BranchRecord.Parse(FileOps.ReadAllText(recordPath), recordPath);
            if (record.Name != branch.Stem || record.Namespace != branch.Namespace)
                throw new EngramException(EngramErrorIds.MalformedMemoryFile, EngramErrorKind.InvalidData, $"The branch record '{recordPath}' names '{record.Namespace}@{record.Name}', not its folder.", recordPath);
            return record;
        }

        IEnumerable<KeyValuePair<MemoryRecord, string>> IVerifiedLayout.BranchMemories(IStorageView view, StoredItem branch, BranchRecord record, StoreReport report)
        {
            var bdir = Path.GetDirectoryName(branch.Origin)!;
            foreach (var sub in new[] { "mem", "base" })
            {
                var d = Path.Combine(bdir, sub);
                if (!Directory.Exists(d)) continue;
                foreach (var f in VerifiableFiles(d, "*.yaml", report))
                    yield return new KeyValuePair<MemoryRecord, string>(MemoryFile.Parse(FileOps.ReadAllText(f), branch.Namespace, f, record.Name), f);
            }
        }
    }
}

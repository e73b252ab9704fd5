using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core.Provenance;
using Engram.Core.Values;

namespace Engram.Core
{
    public sealed partial class EngramStore
    {
        /// <summary>Keys of the memories with a history in a namespace (from the .prov file names), sorted.</summary>
        private IEnumerable<string> HistoryKeys(string ns)
        {
            var dir = Path.Combine(Root, Names.ProvenanceNamespace, ns);
            if (!Directory.Exists(dir)) yield break;
            foreach (var path in _paths.Files(dir, "*.prov").OrderBy(p => p, StringComparer.Ordinal))
            {
                var log = new ProvenanceLog(path);
                var tail = log.ReadTail();
                if (tail == null || tail.Seq == 0) continue;
                yield return Names.DecodeKey(Path.GetFileNameWithoutExtension(path)) ?? log.ReadTailEntry(tail).Key;
            }
        }

        private IReadOnlyList<string> HistoryNamespaces()
        {
            var provRoot = Path.Combine(Root, Names.ProvenanceNamespace);
            return Directory.Exists(provRoot)
                ? _paths.Directories(provRoot).Select(Path.GetFileName).Where(n => n != null && Names.IsValidNamespace(n)).Select(n => n!)
                    .OrderBy(n => n, StringComparer.Ordinal).ToList()
                : new List<string>();
        }

        /// <inheritdoc />
        public override StoreExport Export()
        {
            EnsureExists();
            var namespaces = ListNamespaces();
            int memories = namespaces.Sum(ns => List(ns).Count());
            int histories = HistoryNamespaces().Sum(ns => HistoryKeys(ns).Count());
            return new StoreExport(Config,
                () => namespaces.SelectMany(ns => List(ns).Select(Read)),
                () => HistoryNamespaces().SelectMany(ns => HistoryKeys(ns).Select(key =>
                    (IReadOnlyList<ProvenanceEntry>)GetProvenance(ns, key, null, includeValues: true, branch: null).ToList())),
                ExportBranches, memories, histories);
        }

        private IEnumerable<BranchExport> ExportBranches()
        {
            foreach (var info in GetBranches())
            {
                var r = info.Record;
                IReadOnlyList<MemoryRecord> ReadAll(string sub)
                {
                    var dir = Path.Combine(BranchDir(r.Namespace, r.Name), sub);
                    if (!Directory.Exists(dir)) return Array.Empty<MemoryRecord>();
                    return _paths.Files(dir, "*.yaml").OrderBy(f => f, StringComparer.Ordinal)
                        .Select(f => ReadFile(f, r.Namespace, r.Name)).Where(m => m != null).Select(m => m!).ToList();
                }
                yield return new BranchExport(r, ReadAll("mem"), ReadAll("base"));
            }
        }

        /// <inheritdoc />
        public override void Import(StoreExport export, Action<int, int, string>? progress = null)
        {
            if (export == null) throw new ArgumentNullException(nameof(export));
            using (LockForWrite())
            {
                if (ListNamespaces().Any(ns => List(ns).Any()) || HistoryNamespaces().Any(ns => HistoryKeys(ns).Any()) || GetBranches().Count > 0)
                    throw StoreErrors.ImportTargetNotEmpty(Root);
                int total = export.MemoryCount + export.HistoryCount, done = 0;
                using (var txn = BeginTransaction())
                {
                    txn.Write(ConfigPath, export.Config.ToYaml());
                    foreach (var m in export.Memories)
                    {
                        progress?.Invoke(++done, total, m.Namespace + "/" + m.Key);
                        txn.Write(MemoryPath(m.Namespace, m.Key), MemoryFile.Serialize(m));
                    }
                    var derived = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
                    foreach (var history in export.Histories)
                    {
                        if (history.Count == 0) continue;
                        var first = history[0];
                        progress?.Invoke(++done, total, first.Namespace + "/" + first.Key);
                        var sb = new StringBuilder();
                        long offset = 0;
                        foreach (var e in history)
                        {
                            var text = ProvenanceLog.Serialize(e, offset);
                            offset += Encoding.UTF8.GetByteCount(text);
                            sb.Append(text);
                            foreach (var (sns, skey, sver) in DerivedSources(e))
                            {
                                var path = DerivedIndexPath(sns, skey);
                                if (!derived.TryGetValue(path, out var lines)) derived[path] = lines = new StringBuilder();
                                lines.Append(e.Namespace).Append('\t').Append(e.Key).Append('\t').Append(e.Version.ToString(CultureInfo.InvariantCulture))
                                     .Append('\t').Append(sver.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(e.Seq.ToString(CultureInfo.InvariantCulture))
                                     .Append('\t').Append(e.Branch).Append('\n');
                            }
                        }
                        txn.Write(ProvenancePath(first.Namespace, first.Key), sb.ToString());
                    }
                    foreach (var kv in derived) txn.Write(kv.Key, kv.Value.ToString());
                    foreach (var b in export.Branches)
                    {
                        var r = b.Record;
                        txn.Write(BranchRecordPath(r.Namespace, r.Name), r.ToYaml());
                        foreach (var m in b.Changes) txn.Write(OverlayPath(r.Namespace, r.Name, m.Key), MemoryFile.Serialize(m));
                        foreach (var m in b.Bases) txn.Write(BasePath(r.Namespace, r.Name, m.Key), MemoryFile.Serialize(m));
                    }
                    txn.Commit();
                }
                Files.ForgetConfig();
            }
        }

        /// <summary>The sources an entry names in its <c>derivedFrom</c> details: namespace, key, version used.</summary>
        internal static IEnumerable<(string ns, string key, int version)> DerivedSources(ProvenanceEntry e)
        {
            if (!(e.Details != null && e.Details.TryGetValue("derivedFrom", out var raw) && raw is object?[] sources)) yield break;
            foreach (var s in sources.OfType<EngramMap>())
                if (s.TryGetValue("namespace", out var n) && n is string sns && s.TryGetValue("key", out var k) && k is string skey && s.TryGetValue("version", out var v))
                    yield return (sns, skey, Convert.ToInt32(v, CultureInfo.InvariantCulture));
        }
    }
}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Engram.Core.Engine.Rules;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Core.Engine
{
    /// <summary>The store's lifecycle: creating it, its configuration (format upgrade, retention, embeddings), applying
    /// retention (squash) and rebuilding a namespace as it was at a point in time.</summary>
    public partial class EngramEngine
    {
        // ------------------------------------------------------------------ creating the store

        /// <summary>Creates the store with <paramref name="config"/>. An existing store is refused (StoreAlreadyExists)
        /// unless <paramref name="force"/>, which rewrites its configuration (memories are untouched; retention and
        /// embeddings settings that <paramref name="config"/> leaves at their defaults are kept).</summary>
        public StoreConfig Initialize(StoreConfig? config = null, bool force = false)
        {
            config = config ?? new StoreConfig();
            // Decided before the session: BeginWrite creates a default configuration when there is none.
            bool existed = Storage.Exists;
            if (existed) _ = Storage.ReadConfig(); // a newer format is refused before anything (even a lock) is created
            using (var s = Storage.BeginWrite())
            {
                // Rechecked under the lock: a configuration other than the default BeginWrite writes is another writer's,
                // which created the store since it was checked (one that wrote the default cannot be told apart).
                var stored = StoredConfig(s);
                if (!existed) existed = stored.ToYaml() != new StoreConfig().ToYaml();
                if (existed && !force) throw StoreErrors.StoreExists(Root);
                if (existed) config.KeepSectionsOf(stored); // as stored now, under the lock
                s.PutConfig(config);
                s.Commit();
                return config;
            }
        }

        // ------------------------------------------------------------------ configuration

        /// <summary>Migrates an older store to <see cref="StoreConfig.CurrentFormat"/> in place, atomically. Without
        /// <paramref name="dryRun"/> it is a write (the lock is taken, interrupted work finished, a SQL table layout brought
        /// up to date), also when the format is already current.</summary>
        public UpgradeReport Upgrade(bool dryRun = false)
        {
            EnsureExists();
            var from = Config.Format;
            if (dryRun) return new UpgradeReport(from, StoreConfig.CurrentFormat, false);
            using (var s = Storage.BeginWrite())
            {
                if (from == StoreConfig.CurrentFormat)
                {
                    s.Commit();
                    return new UpgradeReport(from, StoreConfig.CurrentFormat, false);
                }
                // 1 → 2: the configuration gains retention (default: forever). Memories and schema-1 entries are valid in
                // format 2 as they are, so nothing else is rewritten.
                var config = StoredConfig(s);
                config.Format = StoreConfig.CurrentFormat;
                if (Storage is IFormatUpgrade upgrade) upgrade.WriteUpgrade(s, config);
                else s.PutConfig(config);
                s.Commit();
                return new UpgradeReport(from, config.Format, true);
            }
        }

        private void RequireFormat(int format, string what)
        {
            if (Config.Format < format) throw StoreErrors.UpgradeRequired(Root, format, Config.Format, what);
        }

        /// <summary>Sets the retention of one namespace (or the store default when <paramref name="ns"/> is null).</summary>
        public StoreConfig SetRetention(string? ns, RetentionPolicy policy)
        {
            var name = ns == null ? null : Names.NormalizeNamespace(ns);
            EnsureExists();
            RequireFormat(2, "Retention");
            return EditConfig(config => config.SetRetention(name, policy));
        }

        public StoreConfig SetEmbeddings(Search.EmbeddingsConfig? embeddings)
        {
            EnsureExists();
            return EditConfig(config => config.Embeddings = embeddings);
        }

        /// <summary>Reads the configuration under the write lock, applies <paramref name="edit"/> and stores it.</summary>
        private StoreConfig EditConfig(Action<StoreConfig> edit)
        {
            using (var s = Storage.BeginWrite())
            {
                var config = StoredConfig(s);
                edit(config);
                s.PutConfig(config);
                s.Commit();
                return config;
            }
        }

        /// <summary>The configuration as stored now, a copy to edit: read afresh where the storage may cache it
        /// (<see cref="IStoredConfig"/>), else the session's own.</summary>
        private StoreConfig StoredConfig(IStorageWrite s) =>
            Storage is IStoredConfig stored ? stored.ReadStoredConfig() : StoreConfig.Parse(s.Config.ToYaml(), Root);

        // ------------------------------------------------------------------ retention

        /// <summary>True for entries a squash keeps: the turning points of a memory's story.</summary>
        public static bool IsTurningPoint(ProvenanceEntry e) => RetentionRules.IsTurningPoint(e);

        /// <summary>
        /// Applies retention: per memory, entries older than the namespace's policy are replaced by one
        /// <c>squashed</c> entry (count, time span, actions and actors, hash of the last squashed entry), so the
        /// chain still verifies; their values are freed. The newest entry, and everything from the fork point of a
        /// live branch on, are always kept. Each namespace is one write session (all of its histories change together);
        /// <paramref name="dryRun"/> reads only, without the lock.
        /// </summary>
        public IReadOnlyList<OptimizeReport> Optimize(Func<string, bool>? namespaceFilter = null, bool dryRun = false, string? actor = null,
            DateTime? nowUtc = null, Action<int, int, string>? progress = null)
        {
            EnsureExists();
            actor = WriteRules.NormalizeActor(actor);
            var now = nowUtc ?? DateTime.UtcNow;
            if (!dryRun) RequireFormat(2, "Squashing history");
            List<string> namespaces;
            using (var view = Storage.OpenRead())
                namespaces = view.Histories(null).Select(h => h.Key).Distinct(StringComparer.Ordinal)
                    .Where(n => namespaceFilter == null || namespaceFilter(n)).OrderBy(n => n, StringComparer.Ordinal).ToList();
            var reports = new List<OptimizeReport>();
            int done = 0;
            foreach (var ns in namespaces)
            {
                progress?.Invoke(++done, namespaces.Count, ns);
                if (dryRun)
                {
                    using (var view = Storage.OpenRead())
                        reports.Add(Squash(view, null, ns, Config.RetentionFor(ns), now, actor));
                    continue;
                }
                using (var s = Storage.BeginWrite())
                {
                    reports.Add(Squash(s, s, ns, s.Config.RetentionFor(ns), now, actor));
                    s.Commit();
                }
            }
            return reports;
        }

        /// <summary>Squashes (or, without <paramref name="write"/>, measures what squashing would do to) every history of a namespace.</summary>
        private OptimizeReport Squash(IStorageView view, IStorageWrite? write, string ns, RetentionPolicy policy, DateTime now, string actor)
        {
            var report = new OptimizeReport(ns, policy) { Applied = write != null };
            var size = Storage as IHistorySize;
            var branches = view.ReadBranches(ns).Select(b => b.Key).ToList();
            foreach (var history in view.Histories(ns).ToList())
            {
                var key = history.Value;
                report.HistoriesChecked++;
                List<ProvenanceEntry>? entries = null;
                List<ProvenanceEntry> Entries() => entries ??= view.ReadHistory(ns, key, null, includeValues: true).ToList();
                long before = size != null ? size.StoredBytes(view, ns, key) : DocumentBytes(Entries());
                report.BytesBefore += before;
                int removed = 0;
                var squashed = policy.IsForever ? null : RetentionRules.SquashEntries(Entries(), ns, policy, branches, now, actor, out removed);
                if (squashed == null) { report.BytesAfter += before; continue; }
                report.HistoriesSquashed++;
                report.EntriesRemoved += removed;
                report.BytesAfter += size != null ? size.BytesOf(squashed) : DocumentBytes(squashed);
                write?.ReplaceHistory(ns, key, squashed);
            }
            return report;
        }

        /// <summary>A history's size where the storage does not say (<see cref="IHistorySize"/>): its entry documents.</summary>
        private static long DocumentBytes(List<ProvenanceEntry> entries) => entries.Sum(e => (long)Encoding.UTF8.GetByteCount(EntryDocument.Serialize(e)));

        // ------------------------------------------------------------------ time travel

        /// <summary>The tracked memories of a namespace as they were at <paramref name="asOfUtc"/>, rebuilt from history.</summary>
        public AsOfResult GetAsOf(string ns, DateTime asOfUtc, Func<string, bool>? keyFilter = null)
        {
            ns = Names.NormalizeNamespace(ns);
            EnsureExists();
            var result = new AsOfResult();
            using (var view = Storage.OpenRead())
                foreach (var history in view.Histories(ns).ToList())
                {
                    var key = history.Value;
                    if (keyFilter != null && !keyFilter(key)) continue;
                    if (AsOfState(view.ReadHistory(ns, key, null, includeValues: true), asOfUtc, out var state, out var first, out var unknown) == null) continue;
                    if (unknown) { result.Unavailable.Add(key); continue; }
                    if (state == null) continue;
                    result.Memories.Add(new MemoryRecord(state.MemoryId, ns, key, state.Value, Array.Empty<string>(), state.Version,
                        (first ?? state).TimestampUtc, state.TimestampUtc));
                }
            result.Memories.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return result;
        }

        /// <summary>
        /// The main-line state a history recorded at <paramref name="asOfUtc"/>: the entry holding the value then
        /// (<paramref name="state"/>, null when it did not exist), the entry that created it, and whether retention
        /// freed the deciding entry (<paramref name="unknown"/>). Returns the key (null for an empty history).
        /// </summary>
        private static string? AsOfState(IEnumerable<ProvenanceEntry> entries, DateTime asOfUtc, out ProvenanceEntry? state, out ProvenanceEntry? first, out bool unknown)
        {
            state = null; first = null;
            unknown = false; // the state at asOfUtc was decided by an entry that retention squashed away
            string? key = null;
            foreach (var e in entries)
            {
                key = e.Key;
                if (e.Branch != Names.DefaultBranch) continue;
                if (e.Action == ProvenanceActions.Squashed)
                {
                    // Unknown from the first squashed entry on, until a kept entry at or before asOfUtc decides the
                    // state again (not only up to 'to': between the last squashed and the first kept entry the
                    // memory held the freed value of the last squashed one). Before 'from' it did not exist yet.
                    // A run squashed after a kept turning point starts later still: past asOfUtc it ends the walk.
                    var from = e.Details != null && e.Details.TryGetValue("from", out var f) ? f as string : null;
                    if (from != null && DateTime.Parse(from, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal) > asOfUtc) break;
                    unknown = true;
                    continue;
                }
                if (e.TimestampUtc > asOfUtc) break;
                if (e.Action == ProvenanceActions.Forked) continue;
                if (e.Action == ProvenanceActions.Deleted) { state = null; first = null; unknown = false; continue; }
                if (!e.HasValue) continue;
                first = first ?? e;
                state = e;
                unknown = false;
            }
            return key;
        }
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core;
using Engram.Storage.Sql;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>
    /// SQLite's full-text index (table layout 2: memory_fts over memory_search, keyed by row id): it follows every change
    /// of the main line, and a store of layout 1 (the words inside memory_fts, found by namespace and key) is brought up
    /// to date by its first write or by Update-EngramStore, and searches the same afterwards.
    /// </summary>
    public sealed class SqliteFullTextTests : IDisposable
    {
        private readonly BackendLocation _location = BackendLocation.Create(BackendKind.Sqlite);

        public void Dispose() => _location.Dispose();

        private IEngramStore Open() => _location.Open();

        private string Path => _location.Location.Substring(EngramBackends.SqlitePrefix.Length);

        private SqliteConnection Connect()
        {
            var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
            c.Open();
            return c;
        }

        private object? Scalar(string sql)
        {
            using (var c = Connect())
            using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = sql;
                return cmd.ExecuteScalar();
            }
        }

        private void Exec(params string[] statements)
        {
            using (var c = Connect())
            using (var t = c.BeginTransaction())
            {
                foreach (var sql in statements)
                    using (var cmd = c.CreateCommand())
                    {
                        cmd.Transaction = t;
                        cmd.CommandText = sql;
                        cmd.ExecuteNonQuery();
                    }
                t.Commit();
            }
        }

        /// <summary>FTS5's own check that the index holds exactly the words of memory_search (throws when not).</summary>
        private void AssertIndexConsistent() => Exec("INSERT INTO memory_fts (memory_fts, rank) VALUES ('integrity-check', 1)");

        private static string[] Keys(IEnumerable<SearchHit> hits) => hits.Select(h => h.Namespace + "/" + h.Key).ToArray();

        private static void Set(IEngramStore s, string ns, string key, object value, IReadOnlyList<string>? tags = null, string? branch = null) =>
            s.Set(new SetRequest(ns, key, value) { Actor = "tester", Tags = tags, Branch = branch });

        /// <summary>Turns the store into what layout 1 wrote: its FTS5 table holding the words itself, schema '1'.</summary>
        private void MakeLayout1()
        {
            Exec("DROP TRIGGER memory_search_insert", "DROP TRIGGER memory_search_delete", "DROP TRIGGER memory_search_update",
                "DROP TABLE memory_fts", "DROP TABLE memory_search",
                "CREATE VIRTUAL TABLE memory_fts USING fts5(ns UNINDEXED, key UNINDEXED, key_text, body, tokenize='unicode61 remove_diacritics 0')",
                "INSERT INTO memory_fts (ns, key, key_text, body) SELECT ns, key, key_text, search_text FROM memories",
                "UPDATE engram_meta SET value = '1' WHERE name = 'schema'");
            Assert.Null(Scalar("SELECT 1 FROM sqlite_master WHERE name = 'memory_search'"));
        }

        private static void Corpus(IEngramStore s)
        {
            Set(s, "projects", "deploy-runbook", "Deploy the cluster with the canary first, then production.");
            Set(s, "projects", "cluster-notes", "The cluster runs three nodes; deploy on Tuesdays.");
            Set(s, "shared", "menu", new Engram.Core.Values.EngramMap(Engram.Core.Values.MapKind.Ordered) { { "lunch", "pasta with deploy sauce" }, { "count", 3 } });
            Set(s, "session", "scratch", "nothing to see here");
            Set(s, "shared", "Éclair", "pâtisserie déploiement");
        }

        private static readonly string[] Queries = { "deploy", "deploy cluster", "clust*", "pasta", "éclair", "déploiement", "nothing", "zeppelin" };

        private static List<string> Results(IEngramStore s) =>
            Queries.SelectMany(q => s.Search(q, null, 10).Select(h => q + " → " + h.Namespace + "/" + h.Key + " " + h.Score.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))
                   .Concat(Keys(s.Search("deploy", new[] { "projects" }, 1)).Select(k => "top1 " + k)).ToList();

        [Fact]
        public void Layout1Store_IsMigratedByItsFirstWrite_AndSearchesTheSame()
        {
            var s = Open();
            s.Initialize();
            Corpus(s);
            var fresh = Results(s);
            MakeLayout1();

            // Reads need no migration: the old table answers the same query.
            var old = Open();
            Assert.Equal(fresh, Results(old));

            // The first write migrates, in its own schema-change transaction, before it changes anything; the index
            // then ranks as a store that was never migrated (same words, same counts).
            Set(Open(), "session", "scratch", "something else entirely");
            using (var reference = BackendLocation.Create(BackendKind.Sqlite))
            {
                var r = reference.Open();
                r.Initialize();
                Corpus(r);
                Set(r, "session", "scratch", "something else entirely");
                fresh = Results(r);
            }
            Assert.Equal("2", Scalar("SELECT value FROM engram_meta WHERE name = 'schema'"));
            Assert.Contains("content='memory_search'", (string)Scalar("SELECT sql FROM sqlite_master WHERE name = 'memory_fts'")!);
            Assert.Equal(Scalar("SELECT COUNT(*) FROM memories"), Scalar("SELECT COUNT(*) FROM memory_search"));
            AssertIndexConsistent();
            var migrated = Open();
            Assert.Equal(fresh, Results(migrated));

            // And it keeps following writes.
            Set(migrated, "projects", "cluster-notes", "The fleet runs three nodes.");
            Assert.Empty(Open().Search("tuesdays")); // the old value's word
            Assert.Equal(new[] { "projects/cluster-notes", "projects/deploy-runbook" }, Keys(Open().Search("cluster")).OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal(new[] { "projects/cluster-notes" }, Keys(Open().Search("fleet")));
            AssertIndexConsistent();
            Assert.True(Open().Verify().Healthy);
        }

        [Fact]
        public void Layout1Store_IsMigratedByUpgrade()
        {
            var s = Open();
            s.Initialize();
            Corpus(s);
            var fresh = Results(s);
            MakeLayout1();

            var dry = Open().Upgrade(dryRun: true);
            Assert.False(dry.Applied);
            Assert.Equal("1", Scalar("SELECT value FROM engram_meta WHERE name = 'schema'")); // a dry run changes nothing

            Open().Upgrade();
            Assert.Equal("2", Scalar("SELECT value FROM engram_meta WHERE name = 'schema'"));
            AssertIndexConsistent();
            Assert.Equal(fresh, Results(Open()));
        }

        [Fact]
        public void NewerLayout_IsRefused_AndLeftAsItIs()
        {
            var s = Open();
            s.Initialize();
            Set(s, "session", "k", "v");
            Exec("UPDATE engram_meta SET value = '3' WHERE name = 'schema'");
            var ex = Assert.Throws<EngramException>(() => Set(Open(), "session", "k", "w"));
            Assert.Equal(EngramErrorIds.UnsupportedFormatVersion, ex.ErrorId);
            Assert.Equal("3", Scalar("SELECT value FROM engram_meta WHERE name = 'schema'"));
            Assert.Equal("v", Open().TryGet("session", "k")!.Value);
        }

        [Fact]
        public void Index_FollowsSet_Remove_Restore_AndMerge()
        {
            var s = Open();
            s.Initialize();
            Set(s, "shared", "doc", "alpha words");           // tracked namespace: v1
            Set(s, "session", "note", "kiwi");
            Assert.Equal(new[] { "shared/doc" }, Keys(Open().Search("alpha")));

            Set(s, "shared", "doc", "bravo words");           // v2: the old words leave the index
            Assert.Empty(Open().Search("alpha"));
            Assert.Equal(new[] { "shared/doc" }, Keys(Open().Search("bravo")));

            Set(s, "shared", "doc", "bravo words", tags: new[] { "t" }); // a tag change: same words, still found once
            Assert.Equal(new[] { "shared/doc" }, Keys(Open().Search("bravo")));

            s.Restore("shared", "doc", 1, "tester");           // back to v1's words
            Assert.Equal(new[] { "shared/doc" }, Keys(Open().Search("alpha")));
            Assert.Empty(Open().Search("bravo"));

            s.Remove("session", "note", "tester");
            Assert.Empty(Open().Search("kiwi"));
            Set(s, "session", "note", "kiwi again");           // re-created after removal
            Assert.Equal(new[] { "session/note" }, Keys(Open().Search("kiwi")));

            s.Remove("shared", "doc", "tester");
            Assert.Empty(Open().Search("alpha"));
            AssertIndexConsistent();

            // Merge: a branch's new value and a branch's removal reach main's index.
            Set(s, "shared", "m1", "charlie");
            Set(s, "shared", "m2", "delta");
            s.Fork("shared", "feat", null, "tester");
            Set(s, "shared", "m1", "echo", branch: "feat");
            s.Remove("shared", "m2", "tester", null, "feat");
            Set(s, "shared", "m3", "foxtrot", branch: "feat");
            Assert.Equal(new[] { "shared/m1" }, Keys(Open().Search("charlie"))); // a branch does not touch main's index
            Assert.Empty(Open().Search("echo"));

            var result = s.Merge("shared", "feat", MergeStrategy.Fail, "tester");
            Assert.True(result.Applied);
            Assert.Empty(Open().Search("charlie"));
            Assert.Equal(new[] { "shared/m1" }, Keys(Open().Search("echo")));
            Assert.Empty(Open().Search("delta"));
            Assert.Equal(new[] { "shared/m3" }, Keys(Open().Search("foxtrot")));
            AssertIndexConsistent();
        }
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;

namespace Engram.Storage.Sql
{
    /// <summary>
    /// Branches as rows: <c>branches</c> holds each branch record, <c>branch_memories</c> a branch's own versions
    /// (kind 'mem') and the merge bases kept when main changed after the fork (kind 'base'), tombstones included —
    /// the same copy-on-write model as the file store, so a fork copies nothing.
    /// </summary>
    public sealed partial class SqlEngramStore
    {
        private const string Mem = "mem";
        private const string Base = "base";

        private BranchRecord ParseBranch(string doc, string ns, string name) => BranchRecord.Parse(doc, Root + "#_branches/" + ns + "/" + name);

        private BranchRecord? BranchRow(Db db, string ns, string branch)
        {
            var doc = db.Scalar("SELECT doc FROM branches WHERE ns = @ns AND name = @b", ("ns", ns), ("b", branch)) as string;
            return doc == null ? null : ParseBranch(doc, ns, branch);
        }

        private List<BranchRecord> BranchRows(Db db, string ns) =>
            db.Query("SELECT name, doc FROM branches WHERE ns = @ns", r => (name: r.GetString(0), doc: r.GetString(1)), ("ns", ns))
              .Select(x => ParseBranch(x.doc, ns, x.name)).OrderBy(b => b.Name, StringComparer.Ordinal).ToList();

        private MemoryRecord? BranchMemory(Db db, string ns, string branch, string kind, string key)
        {
            var doc = db.Scalar("SELECT doc FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = @k AND key = @key", ("ns", ns), ("b", branch), ("k", kind), ("key", key)) as string;
            return doc == null ? null : ParseMemory(doc, ns, key, branch);
        }

        private static void DeleteBranchMemory(Db db, string ns, string branch, string kind, string key) =>
            db.Exec("DELETE FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = @k AND key = @key", ("ns", ns), ("b", branch), ("k", kind), ("key", key));

        /// <summary>Before main changes a memory: keeps, for each live branch still reading it from main, its merge base.</summary>
        private void KeepBases(Db db, string ns, string key, MemoryRecord? current, string? exceptBranch)
        {
            foreach (var b in BranchRows(db, ns))
            {
                if (b.Name == exceptBranch || !b.Covers(key)) continue;
                if (db.Scalar("SELECT 1 FROM branch_memories WHERE ns = @ns AND branch = @b AND kind = 'base' AND key = @key", ("ns", ns), ("b", b.Name), ("key", key)) != null) continue;
                var snapshot = current ?? MemoryRecord.Tombstone("", ns, key, 0, Names.DefaultBranch);
                db.Exec("INSERT INTO branch_memories (ns, branch, kind, key, doc) VALUES (@ns, @b, 'base', @key, @doc)",
                    ("ns", ns), ("b", b.Name), ("key", key), ("doc", MemoryFile.Serialize(snapshot)));
            }
        }

        /// <summary>The memory as the branch sees it, tombstones included (its own version, else its merge base, else main's).</summary>
        private MemoryRecord? ViewRaw(Db db, string ns, string branch, string key) =>
            branch == Names.DefaultBranch ? MainRow(db, ns, key)
                : BranchMemory(db, ns, branch, Mem, key) ?? BranchMemory(db, ns, branch, Base, key) ?? MainRow(db, ns, key)?.OnBranch(branch);

        // ------------------------------------------------------------------ reads

        // ------------------------------------------------------------------ fork / remove

        // ------------------------------------------------------------------ writes on a branch

        // ------------------------------------------------------------------ merge

    }
}

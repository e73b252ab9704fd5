using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Engram.Core.Search;
using Engram.Core.Storage;

namespace Engram.Storage.Sql
{
    /// <summary>The SQL storage's full-text index: FTS5 on SQLite, the tsvector column on PostgreSQL (see
    /// <see cref="SqlDialect.FullTextQuery"/>); the engine reads the hits and reports the ones that do not parse.</summary>
    public sealed partial class SqlStorage : IFullTextIndex
    {
        public IReadOnlyList<SearchCandidate> FindText(IStorageView view, SearchQuery query, IReadOnlyList<string>? namespaces, int top)
        {
            if (!(view is SqlView sql)) throw new ArgumentException("Not a view of this storage.", nameof(view));
            var ps = new List<(string, object?)> { ("q", _d.FullTextArgument(query)), ("top", top) };
            var filter = "";
            if (namespaces != null)
            {
                filter = "m.ns IN (" + string.Join(", ", namespaces.Select((n, i) => "@ns" + i.ToString(CultureInfo.InvariantCulture))) + ")";
                for (int i = 0; i < namespaces.Count; i++) ps.Add(("ns" + i.ToString(CultureInfo.InvariantCulture), namespaces[i]));
            }
            return sql.Read(db => db.Query(_d.FullTextQuery(filter),
                    r => new SearchCandidate(r.GetString(0), r.GetString(1), Convert.ToDouble(r.GetValue(2), CultureInfo.InvariantCulture)), ps.ToArray()),
                new List<SearchCandidate>());
        }
    }
}

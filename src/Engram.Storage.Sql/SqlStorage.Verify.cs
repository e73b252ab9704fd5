using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core.Storage;

namespace Engram.Storage.Sql
{
    /// <summary>What the verifier needs of the SQL storage beyond its reading primitives.</summary>
    public sealed partial class SqlStorage : IStorageLayoutCheck
    {
        /// <inheritdoc/>
        public IReadOnlyList<KeyValuePair<string, string>> StoredBranches(IStorageView view)
        {
            if (!(view is SqlView v)) throw new ArgumentException("Not a view of this storage.", nameof(view));
            return v.Read(db => db.Query("SELECT ns, name FROM branches", r => new KeyValuePair<string, string>(r.GetString(0), r.GetString(1)))
                    .OrderBy(x => x.Key, StringComparer.Ordinal).ThenBy(x => x.Value, StringComparer.Ordinal).ToList(),
                new List<KeyValuePair<string, string>>());
        }
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Engram.Core.Provenance;
using Engram.Core.Storage;

namespace Engram.Storage.Sql
{
    /// <summary>History sizes for Optimize-EngramProvenance: the bytes of the entry documents a history's rows hold.</summary>
    public sealed partial class SqlStorage : IHistorySize
    {
        public long StoredBytes(IStorageView view, string ns, string key)
        {
            if (!(view is SqlView sql)) throw new ArgumentException("Not a view of this storage.", nameof(view));
            return sql.Read(db => db.Query("SELECT doc FROM _provenance WHERE ns = @ns AND key = @key ORDER BY seq", r => r.GetString(0), ("ns", ns), ("key", key))
                .Sum(d => (long)Encoding.UTF8.GetByteCount(d)), 0L);
        }

        public long BytesOf(IReadOnlyList<ProvenanceEntry> entries) =>
            entries.Sum(e => (long)Encoding.UTF8.GetByteCount(EntryDocument.Serialize(e)));
    }
}

namespace Engram.Core.Provenance
{
    /// <summary>
    /// One history entry as a stand-alone YAML document, without the file log's trailer: how the SQL storage keeps an
    /// entry (the same bytes, the same hash chain as the file log). The codec itself is <see cref="ProvenanceLog"/>'s.
    /// </summary>
    public static class EntryDocument
    {
        /// <summary>The entry as a YAML document.</summary>
        public static string Serialize(ProvenanceEntry entry) => ProvenanceLog.SerializeDocument(entry);

        /// <summary>Parses a document written by <see cref="Serialize"/>; <paramref name="origin"/> names it in errors.</summary>
        public static ProvenanceEntry Parse(string text, string origin, bool includeValues = true) =>
            ProvenanceLog.ParseDocumentText(text, origin, includeValues);
    }
}

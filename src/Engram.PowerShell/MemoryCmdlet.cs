using System.Management.Automation;

namespace Engram.PowerShell
{
    /// <summary>A cmdlet about one memory: -Namespace and -Key (alias Name), positional and bound from the pipeline
    /// by property name, so memory and provenance objects pipe straight in.</summary>
    public abstract class MemoryCmdlet : EngramCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string Namespace { get; set; } = "";

        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("Name")]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [AllowEmptyString] // an empty key is refused by the engine with InvalidKey, the documented id
        public string Key { get; set; } = "";
    }
}

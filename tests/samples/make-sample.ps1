# Builds a sample store with every kind of thing the format can hold. Run it with the build whose format you
# freeze (see tests/samples/README.md); the tests read these folders with every later build.
param([Parameter(Mandatory)] [string] $Store)
$ErrorActionPreference = 'Stop'
$common = @{ Store = $Store; Actor = 'sample' }
Initialize-EngramStore -Store $Store | Out-Null
Set-EngramMemory @common -Namespace shared -Key Config -Value ([pscustomobject]@{ port = 8080; hosts = @('web-1', 'web-2'); tls = $true; ratio = 0.25; since = [datetime]::new(2026, 1, 15, 0, 0, 0, [DateTimeKind]::Utc) }) -Tag infra -Reason 'initial'
Set-EngramMemory @common -Namespace shared -Key Config -Value ([pscustomobject]@{ port = 9090; hosts = @('web-1', 'web-2', 'web-3'); tls = $true; ratio = 0.5; since = [datetime]::new(2026, 1, 15, 0, 0, 0, [DateTimeKind]::Utc) }) -Reason 'scale out'
Set-EngramMemory @common -Namespace shared -Key config -Value 'lower-case twin'
Set-EngramMemory @common -Namespace shared -Key '../escape' -Value @{ big = [long]5; money = [decimal]'12.50'; id = [guid]'0f8fad5b-d9cb-469f-a165-70867728950e' }
Set-EngramMemory @common -Namespace shared -Key gone -Value 'short-lived'
Remove-EngramMemory @common -Namespace shared -Key gone -Reason 'obsolete'
Set-EngramMemory @common -Namespace longterm -Key facts -Value ([ordered]@{ first = 1; second = @(1, 'two', $null) })
Set-EngramMemory @common -Namespace session -Key scratch -Value '42'
Set-EngramMemory @common -Namespace notes -Key 'CON' -Value "multi`nline"
New-EngramFork @common -Namespace shared -Branch alt -Reason 'alternative' | Out-Null
Set-EngramMemory @common -Namespace shared -Key Config -Value 'alt config' -Branch alt
Set-EngramMemory @common -Namespace shared -Key config -Value 'merged twin' -Branch alt
Merge-EngramBranch @common -Namespace shared -Branch alt -Strategy Theirs -Reason 'adopt alt' | Out-Null
New-EngramFork @common -Namespace longterm -Key facts -Branch pending | Out-Null
Set-EngramMemory @common -Namespace longterm -Key facts -Value 'pending change' -Branch pending
# Format 2 and later: retention squashes old history into one verifiable entry.
if (Get-Command Optimize-EngramProvenance -ErrorAction SilentlyContinue) {
    1..5 | ForEach-Object { Set-EngramMemory @common -Namespace thinking -Key log -Value "step $_" -TrackProvenance }
    Set-EngramRetention -Store $Store -Namespace thinking -MaxEntries 2 | Out-Null
    Optimize-EngramProvenance -Store $Store -Namespace thinking -Actor sample | Out-Null
}

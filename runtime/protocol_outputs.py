"""Runtime: output models of results a job protocol builds itself (no model document states them).

Scenario's model pages describe inputs only: what every Scenario job gives back is the
protocol's, the same for every model. The Scenario adapter
(:mod:`runtime.providers.scenario`) reads the finished job's ``metadata.assetIds`` and each
asset (``GET /v1/assets/{assetId}``), and returns ``{"jobId", "assetIds", "assets"}``;
:class:`ScenarioJobOutput` is that result, parsed. The generated Scenario bindings use it
as their output model. :class:`RawOutput` is the result of a model no document gives an
output for: the provider's JSON as it is. Kept free of the transport (no httpx) so that
importing a generated model module stays light; no client imports it before a job needs it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from musicbind.runtime.bases import OutputModel

__all__ = ["RawOutput", "ScenarioAsset", "ScenarioAssetMetadata", "ScenarioJobOutput"]


class RawOutput(BaseModel):
    """The result of a model whose binding has no output model: the provider's JSON as is."""

    model_config = ConfigDict(extra="allow")


class ScenarioAssetMetadata(OutputModel):
    """What Scenario tells about an asset's content; fields it adds are kept as extras."""

    size: int | None = None
    """Size of the content in bytes."""
    duration: float | None = None
    """Length of audio or video content in seconds."""


class ScenarioAsset(OutputModel):
    """One asset a Scenario job produced, as ``GET /v1/assets/{assetId}`` describes it."""

    id: str
    """The asset id (also in :attr:`ScenarioJobOutput.asset_ids`)."""
    url: str | None = None
    """Download URL of the content; it may be signed and expire (``Job.download`` fetches it)."""
    mime_type: str | None = Field(default=None, alias="mimeType")
    """Media type of the content, e.g. ``audio/wav``."""
    metadata: ScenarioAssetMetadata = Field(default_factory=ScenarioAssetMetadata)
    """Information about the content, such as its size or duration."""


class ScenarioJobOutput(OutputModel):
    """The result of any Scenario job: its id, the asset ids it produced, and those assets."""

    job_id: str = Field(alias="jobId")
    """The Scenario job id."""
    asset_ids: list[str] = Field(alias="assetIds")
    """The job's ``metadata.assetIds``, in the provider's order."""
    assets: list[ScenarioAsset]
    """Each asset read once the job succeeded, in the order of :attr:`asset_ids`."""

    @property
    def urls(self) -> list[str]:
        """The download URLs of the assets that have one, in order."""
        return [asset.url for asset in self.assets if asset.url]

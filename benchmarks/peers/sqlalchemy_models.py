"""SQLAlchemy 2.x ORM models of the ``model_registry`` tables the benchmark touches.

Written the way the seeds' stack writes them (declarative ``Mapped`` columns, Python-side uuid4
primary keys, relationships left out where the benchmark does not use them), mapped onto the schema
the migrations create: the ORM never creates or alters a table here.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Enum, Float, ForeignKey, Text
from sqlalchemy.dialects.postgresql import ARRAY, INET, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class PackageType(enum.StrEnum):
    MODEL = "model"
    DATASET = "dataset"
    CODE = "code"


class LineageRelationship(enum.StrEnum):
    FINE_TUNED = "fine_tuned"
    ADAPTER = "adapter"
    QUANTIZED = "quantized"
    MERGED = "merged"
    DISTILLED = "distilled"
    TRAINED_ON_DATASET = "trained_on_dataset"
    USES_CODE = "uses_code"
    OTHER = "other"


_package_type = Enum(
    PackageType, name="package_type", schema="model_registry", create_type=False,
    values_callable=lambda e: [m.value for m in e],
)
_relationship = Enum(
    LineageRelationship, name="lineage_relationship", schema="model_registry",
    create_type=False, values_callable=lambda e: [m.value for m in e],
)


class Package(Base):
    __tablename__ = "packages"
    __table_args__: Any = {"schema": "model_registry"}
    # Read created_at/updated_at back in the INSERT (RETURNING), like create_package does.
    __mapper_args__: Any = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(Text)
    package_type: Mapped[PackageType] = mapped_column(_package_type, default=PackageType.MODEL)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    s3_key: Mapped[str] = mapped_column(Text)
    s3_bucket: Mapped[str] = mapped_column(Text)
    file_size_bytes: Mapped[int] = mapped_column(BigInteger)
    checksum_sha256: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    is_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    access_control_script: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default="now()")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default="now()")


class PackageScore(Base):
    __tablename__ = "package_scores"
    __table_args__: Any = {"schema": "model_registry"}

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    package_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("model_registry.packages.id")
    )
    net_score: Mapped[float | None] = mapped_column(Float(precision=24))


class PackageLineage(Base):
    __tablename__ = "package_lineage"
    __table_args__: Any = {"schema": "model_registry"}

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    parent_package_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("model_registry.packages.id")
    )
    child_package_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("model_registry.packages.id")
    )
    relationship: Mapped[LineageRelationship] = mapped_column(_relationship)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default="now()")


class DownloadHistory(Base):
    __tablename__ = "download_history"
    __table_args__: Any = {"schema": "model_registry"}

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    downloaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    package_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("model_registry.packages.id")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    access_granted: Mapped[bool] = mapped_column(Boolean)
    access_check_output: Mapped[str | None] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(Text)

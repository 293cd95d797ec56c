"""Fetching an image from a web address, only after the person said yes.

Asynchronous (QNetworkAccessManager), so the window never freezes; the
download is abandoned as soon as it is known to exceed ``max_bytes``
(from Content-Length or while bytes arrive).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest

DEFAULT_MAX_BYTES = 50 * 2**20
TIMEOUT_MS = 30_000


class RemoteFetch(QObject):
    """Downloads one URL.

    Signals:
        fetched(bytes, str): the body and a name for it (the URL's file name).
        failed(str): why it could not be fetched, fit to show.
    """

    fetched = Signal(bytes, str)
    failed = Signal(str)

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.max_bytes = max_bytes
        self._manager = QNetworkAccessManager(self)
        self._reply: QNetworkReply | None = None
        self._too_large = False

    def is_busy(self) -> bool:
        return self._reply is not None

    def start(self, url: str) -> None:
        if self._reply is not None:
            self._reply.abort()
        qurl = QUrl(url)
        if qurl.scheme().lower() not in ("http", "https"):
            self.failed.emit(f"{url} is not a web address.")
            return
        request = QNetworkRequest(qurl)
        request.setAttribute(
            QNetworkRequest.Attribute.RedirectPolicyAttribute,
            QNetworkRequest.RedirectPolicy.NoLessSafeRedirectPolicy,
        )
        request.setTransferTimeout(TIMEOUT_MS)
        self._too_large = False
        reply = self._manager.get(request)
        self._reply = reply
        reply.metaDataChanged.connect(self.on_meta_data_changed)
        reply.downloadProgress.connect(self.on_download_progress)
        reply.finished.connect(self.on_finished)

    def abort(self) -> None:
        if self._reply is not None:
            self._reply.abort()

    def on_meta_data_changed(self) -> None:
        reply = self._reply
        if reply is None:
            return
        length = reply.header(QNetworkRequest.KnownHeaders.ContentLengthHeader)
        if isinstance(length, int) and length > self.max_bytes:
            self._too_large = True
            reply.abort()

    def on_download_progress(self, received: int, _total: int) -> None:
        if received > self.max_bytes and self._reply is not None:
            self._too_large = True
            self._reply.abort()

    def on_finished(self) -> None:
        reply = self._reply
        self._reply = None
        if reply is None:
            return
        reply.deleteLater()
        url = reply.url()
        name = Path(url.path()).name or url.host()
        if self._too_large:
            limit = self.max_bytes // 2**20
            self.failed.emit(
                f"The image at {url.host()} is larger than {limit} MB; not downloaded."
            )
            return
        if reply.error() != QNetworkReply.NetworkError.NoError:
            self.failed.emit(f"Could not download {name}: {reply.errorString()}.")
            return
        self.fetched.emit(bytes(reply.readAll().data()), name)

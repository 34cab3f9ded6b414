//! The request-response codec of Flowcoin's own protocols (hello, chain exchange): one request
//! and one response per stream, each the stream's whole remaining bytes, each bounded.
//!
//! The payloads are opaque here (the node encodes them as DAG-CBOR); this layer only refuses
//! what is too large before it is buffered, so a peer cannot make the node hold more than the
//! protocol's bound per stream.

use std::io;

use async_trait::async_trait;
use futures::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use libp2p::StreamProtocol;
use libp2p::request_response::Codec;

/// Bytes in, bytes out, with a size bound for each direction.
#[derive(Debug, Clone, Copy)]
pub struct BoundedBytes {
    /// Largest request accepted.
    pub max_request: u64,
    /// Largest response accepted.
    pub max_response: u64,
}

/// Reads the rest of `io`, refusing more than `max` bytes.
async fn read_bounded<T>(io: &mut T, max: u64, what: &str) -> io::Result<Vec<u8>>
where
    T: AsyncRead + Unpin + Send,
{
    let mut buf = Vec::new();
    io.take(max.saturating_add(1)).read_to_end(&mut buf).await?;
    if buf.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} larger than the protocol's {max} bytes"),
        ));
    }
    Ok(buf)
}

#[async_trait]
impl Codec for BoundedBytes {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_bounded(io, self.max_request, "request").await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_bounded(io, self.max_response, "response").await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&req).await?;
        io.close().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&res).await?;
        io.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_bound_and_refuses_more() {
        futures::executor::block_on(async {
            let mut codec = BoundedBytes {
                max_request: 4,
                max_response: 8,
            };
            let proto = StreamProtocol::new("/t/1");
            let mut ok = futures::io::Cursor::new(vec![1u8, 2, 3, 4]);
            assert_eq!(
                codec.read_request(&proto, &mut ok).await.unwrap(),
                vec![1, 2, 3, 4]
            );
            let mut big = futures::io::Cursor::new(vec![0u8; 5]);
            let err = codec.read_request(&proto, &mut big).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert!(err.to_string().contains("4 bytes"), "{err}");
            let mut resp = futures::io::Cursor::new(vec![7u8; 8]);
            assert_eq!(
                codec.read_response(&proto, &mut resp).await.unwrap().len(),
                8
            );
        });
    }
}

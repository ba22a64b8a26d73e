# One image for the gateway (with its embedded broker and relay) and the camera simulator.
FROM node:20-bookworm-slim
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary can be fetched; the box label sheets need a Chinese font.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ fonts-wqy-microhei && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY core ./core
RUN npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production HTTP_PORT=8080 MQTT_PORT=1883
EXPOSE 8080 1883
USER node
CMD ["npm", "start"]
